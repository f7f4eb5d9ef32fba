/** One runner for every tier; the file suffix names the tier (.unit, .int, .e2e). */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '.*\\.(unit|int|e2e)\\.spec\\.ts$',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@csmcp/(event-store|projections|testing)$': '<rootDir>/libs/$1/src',
    '^@csmcp/(event-store|projections|testing)/(.*)$': '<rootDir>/libs/$1/src/$2',
  },
  testEnvironment: 'node',
  maxWorkers: 2,
  testTimeout: 30000,
};
