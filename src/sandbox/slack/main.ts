// Local sandbox: `node src/sandbox/slack/main.ts --port 3100 [--token xoxb-…]` starts the fake Slack
// and prints its Web API URL. GET /_fake/state dumps what the bot did; POST /_fake/trigger_id?user=U…
// and /_fake/response_url?user=U… stand in for clicks.
import { parseArgs } from 'node:util';
import { startFakeSlack } from './startFakeSlack.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    token: { type: 'string' },
  },
});

const fake = await startFakeSlack({
  port: Number(values.port),
  ...(values.token !== undefined ? { botToken: values.token } : {}),
});
console.log(`fake Slack Web API: ${fake.url} (bot token ${fake.botToken})`);
console.log(`state: ${fake.baseUrl}/_fake/state`);

const stop = (): void => {
  void fake.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
