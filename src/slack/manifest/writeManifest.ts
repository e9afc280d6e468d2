// `npm run manifest`: regenerates manifests/slack-app.yaml (Socket Mode) and manifests/slack-app.http.yaml.
import { writeFile } from 'node:fs/promises';
import { loadRegistry } from '../../tools/registry.ts';
import { manifestFiles } from './manifestFiles.ts';

const registry = await loadRegistry();
for (const file of manifestFiles(registry)) {
  await writeFile(file.path, file.text);
  process.stdout.write(`wrote ${file.path}\n`);
}
