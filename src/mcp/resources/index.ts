export * from './resource-definition';
export {
  ACCOUNT_SUMMARY_JSON_TEMPLATE,
  ACCOUNT_SUMMARY_TEMPLATE,
  ANALYSIS_GUIDE_URI,
  CS_RESOURCE_TEMPLATES,
  CS_STATIC_RESOURCES,
  listResources,
  listResourceTemplates,
  matchResource,
  readResource,
  resourceUri,
} from './cs-resources';
