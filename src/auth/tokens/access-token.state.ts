import type { RecordedEvent } from '@csmcp/event-store';
import type { AccessTokenEvent, AccessTokenIssued } from './access-token.events';

/** A token as its stream tells it: null when never issued. */
export interface AccessTokenState {
  readonly issued: AccessTokenIssued['data'];
  readonly revokedAt: string | null;
  /** Revision of the stream's last event, to append at. */
  readonly revision: number;
}

export function foldAccessToken(events: readonly RecordedEvent[]): AccessTokenState | null {
  let state = null as AccessTokenState | null;
  for (const recorded of events) {
    const event = recorded as unknown as AccessTokenEvent;
    if (event.type === 'AccessTokenIssued') state = { issued: event.data, revokedAt: null, revision: recorded.revision };
    else if (event.type === 'AccessTokenRevoked' && state) state = { ...state, revokedAt: state.revokedAt ?? event.data.revokedAt, revision: recorded.revision };
  }
  return state;
}
