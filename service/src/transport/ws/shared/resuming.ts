/**
 * A resuming WebSocket subscription (`extensions.resumeFrom`) over a shared group: its own execution
 * replays the gap and delivers live events while its group member holds the group's frames; at the first
 * event both have (same position), the own execution is returned and the member sends the held frames
 * after that event, then the group's. No event is sent twice or skipped at the seam, and the socket costs
 * one execution only until the first live event after its replay.
 */
import type { ExecutionResult } from 'graphql-ws';
import type { SharedMember } from './group';

export class ResumingStream implements AsyncIterableIterator<ExecutionResult> {
  /** Set once the member took over: the own execution is returned. */
  private joined = false;
  /** Position of the last result the own execution handed to the core. */
  private lastPosition: string | undefined;

  constructor(
    private readonly own: AsyncIterator<ExecutionResult>,
    private readonly member: SharedMember,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.joined) return this.member.next();
    // The core calls next() once it has sent the previous result: the held frames now follow it in order.
    if (this.lastPosition !== undefined && this.member.joinAt(this.lastPosition)) {
      this.joined = true;
      void this.own.return?.();
      return this.member.next();
    }
    const step = await this.own.next();
    if (step.done === true) {
      void this.member.return();
      return step;
    }
    const position = (step.value.extensions as { position?: unknown } | undefined)?.position;
    if (typeof position === 'string' && this.member.catchingUp) this.lastPosition = position;
    return step;
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    void this.member.return();
    return this.own.return?.() ?? Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
    void this.member.return();
    return this.own.throw?.(err) ?? Promise.reject(err);
  }
}
