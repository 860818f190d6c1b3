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
import { entriesAfter, newEpoch, type HistoryEntry, type HistoryLimits, type ReadResult } from './store';

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

/**
 * One read for a batch of resumes of a topic: ARGV holds (epoch, id) pairs, the lowest id the batch asks for
 * in each epoch it names. Returns the current epoch, the first id kept, the count appended in the epoch and
 * the entries after the pair of the current epoch (none if no member is in it), so the caller can decide
 * completeness for each member and give each only the entries after its own position.
 */
const READ_BATCH = `
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'n')
if not meta[1] then return {'none'} end
local after = false
for i = 1, #ARGV, 2 do
  if ARGV[i] == meta[1] then after = ARGV[i + 1] end
end
if not after then return {'epoch', meta[1]} end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local firstId = ''
if first[1] then firstId = first[1][1] end
return {'ok', meta[1], firstId, meta[2], redis.call('XRANGE', KEYS[1], '(' .. after, '+')}
`;

/** Where a topic's history stands: `appended` events (ids `0-1` to `0-<appended>`) in `epoch`. */
export interface HistoryHead {
  readonly epoch: string;
  readonly appended: number;
}

type StreamEntry = [id: string, fields: string[]];
type BatchReply =
  ['none'] | ['epoch', string] | ['ok', epoch: string, firstId: string, appended: string, StreamEntry[]];

interface HistoryCommands {
  historyAppend(...args: string[]): Promise<string>;
  historyReadBatch(...args: string[]): Promise<BatchReply>;
}

export function streamKey(topic: string): string {
  return `history:{${topic}}`;
}

export function metaKey(topic: string): string {
  return `history:{${topic}}:meta`;
}

export class RedisHistory {
  private readonly appender: Redis & HistoryCommands;
  private readonly reader: Redis & HistoryCommands;

  /**
   * @param appender the connection publishes go through (must fail fast while Redis is down)
   * @param reader the connection resume reads go through, so a burst of replays never delays a publish
   */
  constructor(
    appender: Redis,
    reader: Redis,
    private readonly limits: HistoryLimits,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL after a NOSCRIPT (a restarted or flushed Redis).
    appender.defineCommand('historyAppend', { numberOfKeys: 2, lua: APPEND });
    reader.defineCommand('historyReadBatch', { numberOfKeys: 2, lua: READ_BATCH });
    this.appender = appender as Redis & HistoryCommands;
    this.reader = reader as Redis & HistoryCommands;
  }

  /** Appends and publishes; resolves with the position once Redis has both done. */
  append(topic: string, payloadJson: string): Promise<string> {
    return this.appender.historyAppend(
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
    const [epoch, appended] = await this.reader.hmget(metaKey(topic), 'epoch', 'n');
    return epoch !== null ? { epoch, appended: Number(appended ?? 0) } : undefined;
  }

  /** The history after one position. */
  async readAfter(topic: string, after: Position): Promise<ReadResult<unknown>> {
    return (await this.readBatch(topic, [after]))[0] as ReadResult<unknown>;
  }

  /** The history after each position (same order), in one read; each entry is parsed once for all. */
  async readBatch(topic: string, afters: readonly Position[]): Promise<ReadResult<unknown>[]> {
    const lowest = new Map<string, Position>();
    for (const after of afters) {
      const known = lowest.get(after.epoch);
      if (known === undefined || compareIds(after, known) < 0) lowest.set(after.epoch, after);
    }
    const reply = await this.reader.historyReadBatch(
      streamKey(topic),
      metaKey(topic),
      ...[...lowest.values()].flatMap((p) => [p.epoch, p.id]),
    );
    if (reply[0] !== 'ok') return afters.map(() => ({ complete: false, reason: 'epoch' }));
    const [, epoch, firstId, appended, raw] = reply;
    const entries = raw.map(([id, fields]): HistoryEntry<unknown> => {
      const json = fields[fields.indexOf('p') + 1] as string;
      return { position: formatPosition(epoch, id), id: parseId(id), payload: JSON.parse(json) as unknown };
    });
    // Everything after a position is still there iff the event right after it is (or none came after it).
    const edge = firstId !== '' ? { ms: 0n, seq: parseId(firstId).seq - 1n } : { ms: 0n, seq: BigInt(appended) };
    return afters.map((after): ReadResult<unknown> => {
      if (after.epoch !== epoch) return { complete: false, reason: 'epoch' };
      if (compareIds(after, edge) < 0) return { complete: false, reason: 'window' };
      return { complete: true, entries: entriesAfter(entries, after) };
    });
  }
}

/** Splits a positioned pub/sub message; undefined when the message has no position (history off). */
export function splitPositioned(message: string): { position: string; json: string } | undefined {
  if (!message.startsWith(POSITIONED_PREFIX)) return undefined;
  const newline = message.indexOf('\n');
  if (newline < 0) return undefined;
  return { position: message.slice(1, newline), json: message.slice(newline + 1) };
}
