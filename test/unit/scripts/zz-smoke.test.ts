import { test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createSimHost, rhel9Healthy, ubuntu2204Healthy } from '../../helpers/simHost/index.ts';
test('smoke', async () => {
  writeFileSync('/tmp/simroot', (await createSimHost(rhel9Healthy())).root);
  writeFileSync('/tmp/simroot2', (await createSimHost(ubuntu2204Healthy())).root);
});
