/** A loopback host: 127.0.0.0/8, ::1 or localhost (traffic never leaves the machine). */
const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/u, '$1');
  if (host === 'localhost' || host === '::1') return true;
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/u.test(o) && Number(o) <= 255);
};

/** https://, or http:// to a loopback host (a local fake or proxy): credentials never cross a network in clear text. */
export const isSecureServiceUrl = (url: string): boolean => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname));
};
