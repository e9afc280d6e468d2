// Runs first in `npm test`: the command-line tools the tests need. Missing ones are installed where that is
// possible without asking (root on Debian/Ubuntu: apt-get); otherwise the run stops at once with the exact command,
// rather than ending in a wall of failed tests.
import { spawnSync } from 'node:child_process';

type Tool = { readonly command: string; readonly debianPackage: string; readonly brew: string; readonly why: string };

// chromium: Debian's package (the browser test drives it with playwright-core; CHROMIUM_PATH overrides it).
const TOOLS: readonly Tool[] = [
  { command: 'shellcheck', debianPackage: 'shellcheck', brew: 'shellcheck', why: 'lints every tool script' },
  {
    command: process.env.CHROMIUM_PATH ?? 'chromium',
    debianPackage: 'chromium',
    brew: '--cask chromium (then set CHROMIUM_PATH to its binary)',
    why: 'runs the browser test of the local console',
  },
];

const onPath = (command: string): boolean => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;

const missing = TOOLS.filter((t) => !onPath(t.command));
if (missing.length === 0) process.exit(0);

const packages = missing.map((t) => t.debianPackage);
const names = missing.map((t) => `${t.command} (${t.why})`).join(', ');
const canInstall = process.getuid?.() === 0 && onPath('apt-get');
if (!canInstall) {
  process.stderr.write(
    `npm test needs ${names}, which ${missing.length === 1 ? 'is' : 'are'} not on the PATH. Install, then run npm test again:\n` +
      `  Debian/Ubuntu: sudo apt-get install -y ${packages.join(' ')}\n` +
      `  macOS:         ${missing.map((t) => `brew install ${t.brew}`).join('; ')}\n`,
  );
  process.exit(1);
}

process.stdout.write(`npm test: installing ${packages.join(', ')} with apt-get (missing: ${names})\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = (args: readonly string[]): boolean => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
if (!run(['update', '-qq']) || !run(['install', '-y', '-qq', '--no-install-recommends', ...packages])) {
  process.stderr.write(`npm test: apt-get could not install ${packages.join(' ')}; install it by hand and run npm test again\n`);
  process.exit(1);
}
const still = missing.filter((t) => !onPath(t.command));
if (still.length > 0) {
  process.stderr.write(`npm test: ${still.map((t) => t.command).join(', ')} still not on the PATH after apt-get install\n`);
  process.exit(1);
}
