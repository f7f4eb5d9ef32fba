/** One runner for every tier; the file suffix names the tier (.unit, .int, .e2e, .soak: short here, long with SOAK=full). */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

/** Dependencies published only as ES modules (see transform). */
const ESM_ONLY = '(jose|oauth4webapi|oidc-provider)';

module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '.*\\.(unit|int|e2e|soak)\\.spec\\.ts$',
  transform: {
    '^.+\\.ts$': ['@swc/jest', swc],
    // jose, oauth4webapi and oidc-provider ship only ES modules. Node (20.19+) loads them from the compiled
    // CommonJS through require(esm), but jest has its own module loader, which cannot before Node 24.9:
    // swc turns them into CommonJS for the tests (docs/oauth-authorization-server.md, section 1).
    [`^.+/node_modules/${ESM_ONLY}/.+\\.m?js$`]: ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!${ESM_ONLY}/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@csmcp/(event-store|projections|testing)$': '<rootDir>/libs/$1/src',
    '^@csmcp/(event-store|projections|testing)/(.*)$': '<rootDir>/libs/$1/src/$2',
  },
  testEnvironment: 'node',
  maxWorkers: 2,
  testTimeout: 30000,
};
