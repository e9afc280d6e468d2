/**
 * Credential status: what the periodic checks found for each partition's base credentials and each account's
 * execution role. Pure vocabulary and rules; the checks live in aws/, the records in db/.
 */
export type CredentialScopeKind = 'partition' | 'account';

/** ok; warning (works, but temporary base credentials expire within the hour); failing (the check failed). */
export type CredentialHealth = 'ok' | 'warning' | 'failing';

/**
 * Why a check failed, coarse enough to show anyone and to count in metrics; never a secret. The AWS error
 * text itself (which can name ARNs) is kept apart as `detail`, shown only to approvers and admins.
 */
export type CredentialErrorKind =
  'invalid_credentials' | 'expired_credentials' | 'no_credentials' | 'access_denied' | 'throttled' | 'timeout' | 'unreachable' | 'error';

export type CredentialCheck = {
  readonly kind: CredentialScopeKind;
  /** The partition name (`aws`, `aws-us-gov`) or the 12-digit account id. */
  readonly id: string;
  readonly partition: string;
  readonly health: CredentialHealth;
  readonly errorKind: CredentialErrorKind | null;
  readonly detail: string | null;
  /** When temporary base credentials expire (partition checks only). */
  readonly expiresAt: Date | null;
};

export type CredentialStatus = CredentialCheck & {
  /** Since when the scope has been in its current health. */
  readonly since: Date;
  readonly checkedAt: Date;
};

/** Short labels people in this field use for the two partitions. */
export const partitionLabel = (partition: string): string => (partition === 'aws-us-gov' ? 'GOV' : partition === 'aws' ? 'COM' : partition);

/** A temporary base credential expiring within this window is reported before it fails. */
export const EXPIRY_WARNING_MS = 60 * 60_000;

export const healthOfExpiry = (expiresAt: Date | null, now: number): CredentialHealth =>
  expiresAt && expiresAt.getTime() - now < EXPIRY_WARNING_MS ? 'warning' : 'ok';

type AwsLike = { name?: unknown; code?: unknown; Code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };

/** Sorts an AWS SDK (or network) error into a kind people can act on. */
export const credentialErrorKind = (error: unknown): CredentialErrorKind => {
  const e = (error ?? {}) as AwsLike;
  const name = String(e.name ?? e.code ?? e.Code ?? '');
  if (/^(InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|InvalidAccessKeyId|IncompleteSignature)$/u.test(name))
    return 'invalid_credentials';
  if (/^(ExpiredToken|ExpiredTokenException|RequestExpired)$/u.test(name)) return 'expired_credentials';
  if (/^CredentialsProviderError$/u.test(name)) return 'no_credentials';
  if (/^(AccessDenied|AccessDeniedException|UnauthorizedOperation|AuthorizationError)$/u.test(name)) return 'access_denied';
  if (/^(Throttling|ThrottlingException|TooManyRequestsException|RequestLimitExceeded)$/u.test(name)) return 'throttled';
  if (/^(AbortError|TimeoutError)$/u.test(name)) return 'timeout';
  if (/^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT)$/u.test(String((error as { code?: unknown })?.code ?? '')))
    return 'unreachable';
  return 'error';
};

/** The error's own words, bounded (shown to approvers and admins only). */
export const credentialErrorDetail = (error: unknown): string => {
  const e = (error ?? {}) as AwsLike;
  const text = `${String(e.name ?? 'Error')}: ${String(e.message ?? '')}`.replace(/\s+/gu, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
};

/** What a person reads when a request is refused because of a failing scope. */
export const credentialRefusalText = (status: CredentialStatus, accountName?: string): string =>
  status.kind === 'partition'
    ? `The ${partitionLabel(status.partition)} (${status.partition}) base credentials are failing since ${status.since.toISOString()} (${status.errorKind ?? 'error'}); nothing can run there until they work again. Narrow the targets to other partitions, or ask the platform team (/ops status).`
    : `Account ${accountName ? `${accountName} (${status.id})` : status.id} cannot be reached: its role check is failing since ${status.since.toISOString()} (${status.errorKind ?? 'error'}). Narrow the targets to other accounts, or ask the platform team (/ops status).`;
