import { useApi, useLoad, type Loaded } from './ui';

/** An MCP tool as GET /admin/api/tools lists it: what it is, and what a call costs now. */
export interface Tool {
  readonly name: string;
  readonly title: string;
  readonly kind: 'read' | 'analysis' | 'write';
  readonly scope: string;
  readonly read_only: boolean;
  readonly price: number;
  readonly price_from: 'tool' | 'kind';
}

/** csmcp's MCP tools (all of them fit one page), loaded again when `key` changes (e.g. after a price change). */
export function useTools(key = 'tools'): Loaded<{ items: Tool[] }> {
  const api = useApi();
  return useLoad(() => api.get<{ items: Tool[] }>('/tools', { limit: 200 }), key);
}
