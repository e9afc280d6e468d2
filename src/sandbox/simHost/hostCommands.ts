import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HostProfile } from './profiles.ts';
import { stubsDir } from './simPaths.ts';

// What a simulated host's PATH holds: generated stubs for host commands (per profile) plus the few
// real text tools the scripts use, found on this machine.

export const REAL_TOOLS = [
  'awk',
  'basename',
  'cat',
  'chmod',
  'comm',
  'cp',
  'cut',
  'dirname',
  'env',
  'find',
  'grep',
  'head',
  'ln',
  'ls',
  'mkdir',
  'mktemp',
  'mv',
  'readlink',
  'rm',
  'rmdir',
  'sed',
  'sort',
  'stat',
  'tail',
  'tee',
  'timeout',
  'touch',
  'tr',
  'true',
  'false',
  'uniq',
  'wc',
  'xargs',
] as const;

export const findTool = (name: string): string | undefined => {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
};

// Real hosts differ in awk: gawk on RHEL, mawk on Debian/Ubuntu. Use the same here when available.
export const awkFor = (family: HostProfile['family']): string | undefined =>
  (family === 'rhel' ? findTool('gawk') : findTool('mawk')) ?? findTool('awk');

export const REAL_DATE = findTool('date') ?? '/bin/date';
export const REAL_SLEEP = findTool('sleep') ?? '/bin/sleep';

const stubSources = new Map<string, string>();
export const stubSource = (file: string): string => {
  let text = stubSources.get(file);
  if (text === undefined) {
    text = readFileSync(path.join(stubsDir, file), 'utf8');
    stubSources.set(file, text);
  }
  return text;
};

export const shq = (s: string): string => `'${s.replace(/'/gu, `'\\''`)}'`;

/** Host command name → stub file for a profile. */
export const stubsFor = (p: HostProfile): Map<string, string> => {
  const stubs = new Map<string, string>([
    ['uname', 'uname.sh'],
    ['id', 'id.sh'],
    ['date', 'date.sh'],
    ['sleep', 'sleep.sh'],
    ['df', 'df.sh'],
    ['findmnt', 'findmnt.sh'],
    ['fuser', 'fuser.sh'],
    ['systemctl', 'systemctl.sh'],
    ['journalctl', 'journalctl.sh'],
    ['aws', 'aws.sh'],
  ]);
  if (p.sft.installed) stubs.set('sftd', 'sftd.sh');
  if (p.family === 'rhel') {
    stubs.set('rpm', 'rpm.sh');
    stubs.set('grubby', 'grubby.sh');
    if (p.packageManagers.includes('dnf')) stubs.set('dnf', 'dnf.sh');
    if (p.packageManagers.includes('yum')) stubs.set('yum', 'dnf.sh');
  }
  if (p.family === 'debian') {
    stubs.set('dpkg-query', 'dpkg-query.sh');
    stubs.set('update-grub', 'update-grub.sh');
    stubs.set('grub-set-default', 'grub-set-default.sh');
    if (p.packageManagers.includes('apt-get')) {
      stubs.set('apt-get', 'apt-get.sh');
      stubs.set('apt-cache', 'apt-cache.sh');
    }
  }
  for (const missing of p.missingCommands) stubs.delete(missing);
  return stubs;
};

export const lockFilesFor = (family: HostProfile['family']): string[] =>
  family === 'rhel'
    ? ['/var/lib/rpm/.rpm.lock']
    : family === 'debian'
      ? ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock', '/var/lib/apt/lists/lock', '/var/cache/apt/archives/lock']
      : [];
