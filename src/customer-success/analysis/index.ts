export * from './analysis-query';
export { AnalysisQueryError, type AnalysisProblem } from './analysis-error';
export { ANALYSIS_ENTITIES, type AnalysisEntity, type FieldType } from './fields';
export { compileAnalysis, type AnalysisContext, type CompiledAnalysis } from './compile';
export { validateAnalysis } from './validate';
export { AnalyzeAccountsQuery, type AnalysisViewer } from './analyze-accounts.query';
export { AnalyzeAccountsHandler } from './analyze-accounts.handler';
export { AnalysisModule } from './analysis.module';
export { analysisGuide, analysisQueryJsonSchema } from './analysis-guide';
