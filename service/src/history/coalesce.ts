/**
 * Coalesced resume reads: when many subscriptions of one topic resume at once (every client of a drained
 * instance reconnecting to the same survivor), they share reads instead of each confirming the channel and
 * reading the history on its own.
 *
 * Per topic, single flight: resumes that arrive while no read of the topic has been sent wait together in
 * the next batch; one batch at a time is read (`readBatch`: confirm the channel live, then read once for all
 * members); resumes arriving meanwhile form the following batch, sent when the current one settles. Every
 * member registered its live listener before joining, so before its batch's read was sent: the seam holds
 * for each member as for a resume on its own (see pubsub.ts).
 */
import type { Position } from './position';
import type { ReadResult } from './store';

/** Reads the history after each position (same order), for one topic, after confirming its channel live. */
export type BatchRead<V> = (topic: string, afters: readonly Position[]) => Promise<readonly ReadResult<V>[]>;

interface Member<V> {
  readonly after: Position;
  resolve(result: ReadResult<V>): void;
  reject(error: unknown): void;
}

interface TopicBatches<V> {
  /** Resumes waiting for the next read. */
  next: Member<V>[];
  /** A read of this topic has been sent and not settled (or the next one is about to be sent). */
  busy: boolean;
}

export class ResumeCoalescer<V> {
  private readonly topics = new Map<string, TopicBatches<V>>();

  constructor(private readonly readBatch: BatchRead<V>) {}

  /** The history after `after`, read together with the other resumes of the topic waiting now. */
  read(topic: string, after: Position): Promise<ReadResult<V>> {
    let batches = this.topics.get(topic);
    if (batches === undefined) {
      batches = { next: [], busy: false };
      this.topics.set(topic, batches);
    }
    const result = new Promise<ReadResult<V>>((resolve, reject) => batches.next.push({ after, resolve, reject }));
    if (!batches.busy) {
      batches.busy = true;
      // After the current I/O phase: the resumes of every socket read in it join this first batch.
      setImmediate(() => this.send(topic, batches));
    }
    return result;
  }

  /** Topics with a batch waiting or being read (for tests and stats). */
  get pendingTopics(): number {
    return this.topics.size;
  }

  private send(topic: string, batches: TopicBatches<V>): void {
    const members = batches.next;
    if (members.length === 0) {
      batches.busy = false;
      this.topics.delete(topic);
      return;
    }
    batches.next = [];
    let read: Promise<readonly ReadResult<V>[]>;
    try {
      read = this.readBatch(
        topic,
        members.map((m) => m.after),
      );
    } catch (error) {
      read = Promise.reject(error);
    }
    read
      .then(
        (results) => members.forEach((m, i) => m.resolve(results[i] as ReadResult<V>)),
        (error: unknown) => members.forEach((m) => m.reject(error)),
      )
      .finally(() => this.send(topic, batches));
  }
}
