// Local sandbox: `node src/sandbox/servicenow/main.ts --port 3200` starts the fake ServiceNow with
// CHG0012345 in Implement (window around now) and prints the instance URL and credentials.
import { parseArgs } from 'node:util';
import { changeInWindow } from './changeInWindow.ts';
import { startFakeServiceNow } from './startFakeServiceNow.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    user: { type: 'string', default: 'pcm.bot' },
    password: { type: 'string', default: 'pcm-bot-password' },
  },
});

const fake = await startFakeServiceNow({
  port: Number(values.port),
  user: values.user,
  password: values.password,
  oauth: { clientId: 'pcm-bot-client', clientSecret: 'pcm-bot-client-secret' },
  changes: [changeInWindow('CHG0012345', { hoursBefore: 1, hoursAfter: 8, change: { cis: ['web-01', 'web-02'] } })],
});
console.log(`fake ServiceNow: ${fake.url} (basic ${fake.user}:${fake.password}; OAuth client pcm-bot-client / pcm-bot-client-secret)`);
console.log(
  `try: curl -u ${fake.user}:${fake.password} '${fake.url}/api/now/table/change_request?sysparm_query=number=CHG0012345&sysparm_limit=1'`,
);

const stop = (): void => {
  void fake.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
