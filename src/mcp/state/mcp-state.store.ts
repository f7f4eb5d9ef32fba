import { createHash, randomBytes } from 'node:crypto';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { EventStore as ResumabilityStore } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Position } from '@csmcp/event-store';
import { createTablesOnce, type ReadModelDatabase } from '@csmcp/projections';

/**
 * MCP's operational state, in the database every instance shares (the SQLite file beside the events,
 * or PostgreSQL): sessions (bound to the user who opened them, so any instance can serve them), the
 * messages of SSE streams (so a dropped stream resumes with Last-Event-ID and loses no response) and
 * single-use write confirmations. None of it is business data: it may be lost without losing a write.
 */
export interface McpSessionRecord {
  readonly sessionId: string;
  readonly userId: string;
  readonly protocolVersion: string;
  /** The initialize request's params: replayed to restore the session in another process. */
  readonly initializeParams: Record<string, unknown>;
  readonly lastWrite: Position | null;
  readonly closed: boolean;
}

const DDL = (dialect: 'sqlite' | 'postgres') => `
CREATE TABLE IF NOT EXISTS mcp_sessions (
  session_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  protocol_version TEXT NOT NULL,
  initialize_params TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  closed_at TEXT,
  last_write_commit BIGINT,
  last_write_prepare BIGINT
);
CREATE INDEX IF NOT EXISTS mcp_sessions_user ON mcp_sessions (user_id, last_seen_at);
CREATE TABLE IF NOT EXISTS mcp_stream_events (
  seq ${dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'},
  session_id TEXT NOT NULL,
  stream_id TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mcp_stream_events_stream ON mcp_stream_events (session_id, stream_id, seq);
CREATE TABLE IF NOT EXISTS mcp_confirmations (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  tool_name TEXT NOT NULL,
  arguments_hash TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
)`;

/** How long a stream's messages stay replayable, and an idle session restorable. */
const STREAM_EVENT_TTL_MS = 60 * 60_000;
const SESSION_IDLE_TTL_MS = 24 * 60 * 60_000;
/** last_seen_at is bumped at most this often per session (it only drives expiry). */
const TOUCH_EVERY_MS = 60_000;

export class McpStateStore {
  private ready: Promise<void> | null = null;
  private readonly touchedAt = new Map<string, number>();

  constructor(private readonly db: ReadModelDatabase) {}

  setup(): Promise<void> {
    this.ready ??= createTablesOnce(this.db, 'csmcp_mcp_state_ddl', DDL(this.db.dialect));
    return this.ready;
  }

  async createSession(record: Omit<McpSessionRecord, 'lastWrite' | 'closed'>): Promise<void> {
    await this.setup();
    const now = new Date().toISOString();
    await this.db.run(
      'INSERT INTO mcp_sessions (session_id, user_id, protocol_version, initialize_params, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)',
      [record.sessionId, record.userId, record.protocolVersion, JSON.stringify(record.initializeParams), now, now],
    );
    this.touchedAt.set(record.sessionId, Date.now());
  }

  async findSession(sessionId: string): Promise<McpSessionRecord | null> {
    await this.setup();
    const row = await this.db.get<{
      user_id: string;
      protocol_version: string;
      initialize_params: string;
      closed_at: string | null;
      last_seen_at: string;
      last_write_commit: number | string | null;
      last_write_prepare: number | string | null;
    }>(
      'SELECT user_id, protocol_version, initialize_params, closed_at, last_seen_at, last_write_commit, last_write_prepare FROM mcp_sessions WHERE session_id = ?',
      [sessionId],
    );
    if (!row) return null;
    const expired = Date.now() - Date.parse(row.last_seen_at) > SESSION_IDLE_TTL_MS;
    return {
      sessionId,
      userId: row.user_id,
      protocolVersion: row.protocol_version,
      initializeParams: JSON.parse(row.initialize_params) as Record<string, unknown>,
      lastWrite:
        row.last_write_commit === null ? null : { commit: Number(row.last_write_commit), prepare: Number(row.last_write_prepare) },
      closed: row.closed_at !== null || expired,
    };
  }

  /** Keeps an active session from expiring; cheap enough to call on every request. */
  async touch(sessionId: string): Promise<void> {
    const last = this.touchedAt.get(sessionId) ?? 0;
    if (Date.now() - last < TOUCH_EVERY_MS) return;
    this.touchedAt.set(sessionId, Date.now());
    await this.db.run('UPDATE mcp_sessions SET last_seen_at = ? WHERE session_id = ?', [new Date().toISOString(), sessionId]);
  }

  /**
   * The open sessions of a user (or machine client), least recently used first. last_seen_at moves
   * at most once a minute per session, so the order is that coarse.
   */
  async openSessionsOf(userId: string, now = Date.now()): Promise<string[]> {
    await this.setup();
    const rows = await this.db.all<{ session_id: string }>(
      'SELECT session_id FROM mcp_sessions WHERE user_id = ? AND closed_at IS NULL AND last_seen_at >= ? ORDER BY last_seen_at, created_at',
      [userId, new Date(now - SESSION_IDLE_TTL_MS).toISOString()],
    );
    return rows.map((r) => r.session_id);
  }

  async closeSession(sessionId: string): Promise<void> {
    this.touchedAt.delete(sessionId);
    await this.db.run('UPDATE mcp_sessions SET closed_at = ? WHERE session_id = ? AND closed_at IS NULL', [new Date().toISOString(), sessionId]);
    await this.db.run('DELETE FROM mcp_stream_events WHERE session_id = ?', [sessionId]);
  }

  /** The session's last acknowledged write, so its reads on any instance see it. Only ever moves forward. */
  async recordWrite(sessionId: string, position: Position): Promise<void> {
    await this.db.run(
      `UPDATE mcp_sessions SET last_write_commit = ?, last_write_prepare = ?
       WHERE session_id = ? AND (last_write_commit IS NULL OR last_write_commit < ? OR (last_write_commit = ? AND last_write_prepare < ?))`,
      [position.commit, position.prepare, sessionId, position.commit, position.commit, position.prepare],
    );
  }

  /** The SDK's resumability store for one session: event ids are only replayed within that session. */
  resumability(sessionId: string): ResumabilityStore {
    // Only ids of this session's own, not yet swept, events resume anything (the SDK answers 400 otherwise).
    const ownStream = async (eventId: string) => {
      const parsed = parseEventId(eventId);
      if (!parsed) return undefined;
      const row = await this.db.get('SELECT 1 AS one FROM mcp_stream_events WHERE seq = ? AND session_id = ? AND stream_id = ?', [
        parsed.seq,
        sessionId,
        parsed.streamId,
      ]);
      return row ? parsed : undefined;
    };
    return {
      storeEvent: async (streamId: string, message: JSONRPCMessage) => {
        const row = await this.db.get<{ seq: number | string }>(
          'INSERT INTO mcp_stream_events (session_id, stream_id, message, created_at) VALUES (?, ?, ?, ?) RETURNING seq',
          [sessionId, streamId, JSON.stringify(message), new Date().toISOString()],
        );
        return `${streamId}:${row!.seq}`;
      },
      getStreamIdForEventId: async (eventId: string) => (await ownStream(eventId))?.streamId,
      replayEventsAfter: async (lastEventId, { send }) => {
        const parsed = await ownStream(lastEventId);
        if (!parsed) throw new Error('Last-Event-ID is not an event of this session that can still be replayed');
        const rows = await this.db.all<{ seq: number | string; message: string }>(
          'SELECT seq, message FROM mcp_stream_events WHERE session_id = ? AND stream_id = ? AND seq > ? ORDER BY seq',
          [sessionId, parsed.streamId, parsed.seq],
        );
        for (const row of rows) await send(`${parsed.streamId}:${row.seq}`, JSON.parse(row.message) as JSONRPCMessage);
        return parsed.streamId;
      },
    };
  }

  /** A single-use token that confirms exactly this call: same user, tool and arguments, within ten minutes. */
  async issueConfirmation(userId: string, toolName: string, args: unknown): Promise<string> {
    await this.setup();
    const token = `csmcp_confirm_${randomBytes(24).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + 10 * 60_000).toISOString();
    await this.db.run(
      'INSERT INTO mcp_confirmations (token_hash, user_id, tool_name, arguments_hash, expires_at) VALUES (?, ?, ?, ?, ?)',
      [sha256(token), userId, toolName, argumentsHash(args), expiresAt],
    );
    return token;
  }

  /**
   * Uses up a confirmation token. Null when it is valid for this very call (and now spent), else why
   * not. The UPDATE ... WHERE used_at IS NULL makes it single-use even across instances.
   */
  async redeemConfirmation(token: string, userId: string, toolName: string, args: unknown): Promise<string | null> {
    await this.setup();
    const hash = sha256(token);
    const row = await this.db.get<{ user_id: string; tool_name: string; arguments_hash: string; expires_at: string; used_at: string | null }>(
      'SELECT user_id, tool_name, arguments_hash, expires_at, used_at FROM mcp_confirmations WHERE token_hash = ?',
      [hash],
    );
    if (!row || row.user_id !== userId) return 'the confirmation_token is not one this server gave you';
    if (row.tool_name !== toolName) return `the confirmation_token was given for ${row.tool_name}, not ${toolName}`;
    if (row.used_at !== null) return 'the confirmation_token was already used; each confirms one write';
    if (Date.parse(row.expires_at) < Date.now()) return 'the confirmation_token has expired (they last ten minutes)';
    if (row.arguments_hash !== argumentsHash(args))
      return 'the arguments differ from the ones the confirmation_token was given for; call again without it to get a new preview';
    const { changes } = await this.db.run('UPDATE mcp_confirmations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL', [
      new Date().toISOString(),
      hash,
    ]);
    return changes === 1 ? null : 'the confirmation_token was already used; each confirms one write';
  }

  /** Drops replay buffers, idle sessions and old confirmations; run now and then by one timer. */
  async sweep(now = Date.now()): Promise<void> {
    await this.setup();
    await this.db.run('DELETE FROM mcp_stream_events WHERE created_at < ?', [new Date(now - STREAM_EVENT_TTL_MS).toISOString()]);
    await this.db.run('DELETE FROM mcp_sessions WHERE last_seen_at < ?', [new Date(now - SESSION_IDLE_TTL_MS).toISOString()]);
    await this.db.run('DELETE FROM mcp_confirmations WHERE expires_at < ?', [new Date(now - 60 * 60_000).toISOString()]);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function parseEventId(eventId: string): { streamId: string; seq: number } | null {
  const at = eventId.lastIndexOf(':');
  const seq = Number(eventId.slice(at + 1));
  return at > 0 && Number.isSafeInteger(seq) && seq > 0 ? { streamId: eventId.slice(0, at), seq } : null;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Arguments hashed in a canonical form (keys sorted), so key order does not matter but every value does. */
export function argumentsHash(args: unknown): string {
  return sha256(canonicalJson(args));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}
