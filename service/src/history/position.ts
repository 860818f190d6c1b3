/**
 * Positions: where an event sits in its topic's history, as an opaque string clients store and send back.
 *
 * Wire format (version 1): `1.<epoch>.<ms>-<seq>`
 * - `1` is the format version;
 * - `<epoch>` identifies one history of one topic: 1 to 32 characters of [A-Za-z0-9_-]. A history that was
 *   lost (Redis flushed, failed over without the data, the topic idle past its TTL, an in-memory service
 *   restarted) comes back with a new epoch, so an old position can never point into a different history;
 * - `<ms>-<seq>` is the event's id in that history (a Redis Stream id; the in-memory ring uses `0-<n>`), two
 *   unsigned integers compared as a pair.
 * The whole string is at most 100 characters. Clients must treat it as opaque: store the latest one seen per
 * subscription and send it back unchanged.
 */
import { GraphQLError } from 'graphql';

export const POSITION_VERSION = '1';
export const MAX_POSITION_LENGTH = 100;
export const INVALID_POSITION = 'INVALID_POSITION';

const EPOCH = /^[A-Za-z0-9_-]{1,32}$/;
const POSITION = /^1\.([A-Za-z0-9_-]{1,32})\.(\d{1,16})-(\d{1,16})$/;

export interface Position {
  readonly epoch: string;
  /** The Redis Stream id `<ms>-<seq>` (or the ring's `0-<n>`). */
  readonly id: string;
  readonly ms: bigint;
  readonly seq: bigint;
}

/** A malformed position: answered as this operation's error, never a crash or a closed socket. */
export class InvalidPositionError extends GraphQLError {
  constructor(detail: string) {
    super(`Invalid resume position: ${detail}; send back a position exactly as the server gave it`, {
      extensions: { code: INVALID_POSITION },
    });
  }
}

export function isEpoch(value: string): boolean {
  return EPOCH.test(value);
}

export function formatPosition(epoch: string, id: string): string {
  return `${POSITION_VERSION}.${epoch}.${id}`;
}

/** Parses a position; anything else throws InvalidPositionError saying what is wrong. */
export function parsePosition(value: unknown): Position {
  if (typeof value !== 'string') throw new InvalidPositionError(`expected a string, got ${describe(value)}`);
  if (value.length > MAX_POSITION_LENGTH) {
    throw new InvalidPositionError(`longer than ${MAX_POSITION_LENGTH} characters (${value.length})`);
  }
  const match = POSITION.exec(value);
  if (match === null) {
    throw new InvalidPositionError(
      `${JSON.stringify(value.slice(0, 40))} does not match 1.<epoch>.<ms>-<seq> (epoch: 1-32 of [A-Za-z0-9_-])`,
    );
  }
  const [, epoch, ms, seq] = match as unknown as [string, string, string, string];
  return { epoch, id: `${ms}-${seq}`, ms: BigInt(ms), seq: BigInt(seq) };
}

/** The parsed position, or undefined for anything malformed (positions that came from Redis, not a client). */
export function tryParsePosition(value: unknown): Position | undefined {
  try {
    return parsePosition(value);
  } catch {
    return undefined;
  }
}

/** Orders two stream ids of one epoch: negative, 0 or positive like a comparator. */
export function compareIds(a: Pick<Position, 'ms' | 'seq'>, b: Pick<Position, 'ms' | 'seq'>): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** Parses a stream id `<ms>-<seq>` as stored by Redis or the ring. */
export function parseId(id: string): Pick<Position, 'ms' | 'seq'> {
  const dash = id.indexOf('-');
  return { ms: BigInt(id.slice(0, dash)), seq: BigInt(id.slice(dash + 1)) };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
