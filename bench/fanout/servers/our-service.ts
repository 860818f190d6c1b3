/** (c)/(d) Our service. Placeholder until service/src/app.ts exists. */
import type { BenchServer, BenchServerOptions } from './types';

export async function startOurService(_options: BenchServerOptions): Promise<BenchServer> {
  throw new Error('service/src/app.ts does not exist yet');
}
