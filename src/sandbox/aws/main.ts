// Local sandbox: node src/sandbox/aws/main.ts --config fake-aws.json
// The config is FakeAwsOptions as JSON, plus optional "fleets" (MakeInstancesOptions[]) for bulk instances.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { makeInstances } from './makeInstances.ts';
import type { MakeInstancesOptions } from './makeInstances.ts';
import { startFakeAws } from './startFakeAws.ts';
import type { FakeAwsOptions } from './types.ts';

const { values } = parseArgs({ options: { config: { type: 'string' } } });
if (!values.config) {
  console.error('usage: node src/sandbox/aws/main.ts --config <file.json>');
  process.exit(2);
}
const config = JSON.parse(readFileSync(values.config, 'utf8')) as FakeAwsOptions & { fleets?: MakeInstancesOptions[] };
const { fleets = [], ...options } = config;
const fake = await startFakeAws({ ...options, instances: [...(options.instances ?? []), ...fleets.flatMap(makeInstances)] });
console.log(fake.url);
console.error(`fake AWS listening; export AWS_ENDPOINT_URL_SSM=${fake.url} AWS_ENDPOINT_URL_STS=${fake.url}`);
const stop = (): void => {
  void fake.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
