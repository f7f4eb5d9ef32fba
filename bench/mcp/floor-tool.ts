/** What the floor servers serve and what the harness calls on them (shared by both processes). */
export type FloorMode = 'raw' | 'stateless' | 'session-json' | 'session-sse';

export const FLOOR_TOOL = 'echo';
export const FLOOR_TOOL_TEXT = 'ok';

export const floorCallBody = {
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: FLOOR_TOOL, arguments: { text: 'hello' } },
};
