/**
 * The history in Redis: one Stream per topic (`history:{<topic>}`) and a meta hash beside it
 * (`history:{<topic>}:meta`, same hash slot: `epoch`, and `n`, the count of events appended in this epoch),
 * both with the topic's TTL refreshed on every event.
 *
 * Entry ids are explicit, `0-<n>`: the n-th event of the epoch. Trimming (approximate MAXLEN) removes from the
 * head only, so the window edge is exact: with first entry `0-<f>`, everything after position `0-<p>` is
 * still there iff p >= f - 1. (Redis' own `max-deleted-entry-id` does not move on trimming, and time-based
 * ids would not say how many events lie between two of them.)
 *
 * Appending is one Lua script: HINCRBY, XADD, PEXPIRE, and PUBLISH of the event with its position to the
 * topic's pub/sub channel. Scripts run atomically, so the pub/sub messages of a topic arrive in stream order
 * and each live event carries its id; that lets a resuming subscriber stitch "history after my position"
 * to "live" without a gap or a duplicate (see pubsub.ts). A missing meta hash (first event, TTL expired,
 * Redis flushed or failed over without the data) gets a fresh epoch in the same script, and any stream left
 * without one is deleted, so an old position never matches the new history.
 */
import type Redis from 'ioredis';
import { compareIds, formatPosition, parseId, type Position } from './position';
import { newEpoch, type HistoryEntry, type HistoryLimits, type ReadResult } from './store';

/** Marks a pub/sub message that carries a position: `@<position>\n<payload JSON>` (JSON never starts with @). */
export const POSITIONED_PREFIX = '@';

const APPEND = `
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[5]
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
local id = '0-' .. redis.call('HINCRBY', KEYS[2], 'n', 1)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], id, 'p', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local position = '1.' .. epoch .. '.' .. id
redis.call('PUBLISH', ARGV[1], '@' .. position .. '\\n' .. ARGV[2])
return position
`;

const READ_AFTER = `
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'n')
if meta[1] ~= ARGV[1] then return {'epoch'} end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local firstId = ''
if first[1] then firstId = first[1][1] end
return {'ok', firstId, meta[2], redis.call('XRANGE', KEYS[1], '(' .. ARGV[2], '+')}
`;

/** Where a topic's history stands: `appended` events (ids `0-1` to `0-<appended>`) in `epoch`. */
export interface HistoryHead {
  readonly epoch: string;
  readonly appended: number;
}

type StreamEntry = [id: string, fields: string[]];
type ReadReply = ['epoch'] | ['ok', string, string, StreamEntry[]];

interface HistoryCommands {
  historyAppend(...args: string[]): Promise<string>;
  historyReadAfter(...args: string[]): Promise<ReadReply>;
}

export function streamKey(topic: string): string {
  return `history:{${topic}}`;
}

export function metaKey(topic: string): string {
  return `history:{${topic}}:meta`;
}

export class RedisHistory {
  private readonly client: Redis & HistoryCommands;

  constructor(
    client: Redis,
    private readonly limits: HistoryLimits,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL after a NOSCRIPT (a restarted or flushed Redis).
    client.defineCommand('historyAppend', { numberOfKeys: 2, lua: APPEND });
    client.defineCommand('historyReadAfter', { numberOfKeys: 2, lua: READ_AFTER });
    this.client = client as Redis & HistoryCommands;
  }

  /** Appends and publishes; resolves with the position once Redis has both done. */
  append(topic: string, payloadJson: string): Promise<string> {
    return this.client.historyAppend(
      streamKey(topic),
      metaKey(topic),
      topic,
      payloadJson,
      String(this.limits.maxEvents),
      String(this.limits.ttlMs),
      newEpoch(),
    );
  }

  /** The topic's history as it stands: its epoch and event count, or undefined while it has none. */
  async head(topic: string): Promise<HistoryHead | undefined> {
    const [epoch, appended] = await this.client.hmget(metaKey(topic), 'epoch', 'n');
    return epoch !== null ? { epoch, appended: Number(appended ?? 0) } : undefined;
  }

  async readAfter(topic: string, after: Position): Promise<ReadResult<unknown>> {
    const reply = await this.client.historyReadAfter(streamKey(topic), metaKey(topic), after.epoch, after.id);
    if (reply[0] !== 'ok') return { complete: false, reason: reply[0] };
    const [, firstId, appended, entries] = reply;
    // The event right after the position must still be in the stream (or none came after it).
    const complete =
      firstId !== ''
        ? compareIds(after, { ms: 0n, seq: parseId(firstId).seq - 1n }) >= 0
        : compareIds(after, { ms: 0n, seq: BigInt(appended) }) >= 0;
    if (!complete) return { complete: false, reason: 'window' };
    return {
      complete: true,
      entries: entries.map(([id, fields]): HistoryEntry<unknown> => {
        const json = fields[fields.indexOf('p') + 1] as string;
        return { position: formatPosition(after.epoch, id), id: parseId(id), payload: JSON.parse(json) as unknown };
      }),
    };
  }
}

/** Splits a positioned pub/sub message; undefined when the message has no position (history off). */
export function splitPositioned(message: string): { position: string; json: string } | undefined {
  if (!message.startsWith(POSITIONED_PREFIX)) return undefined;
  const newline = message.indexOf('\n');
  if (newline < 0) return undefined;
  return { position: message.slice(1, newline), json: message.slice(newline + 1) };
}
