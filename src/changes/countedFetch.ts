/** A fetch that reports each answer (2xx/3xx ok, else error; a network failure is an error), e.g. for /metrics. */
export const countedFetch = (report: (outcome: 'ok' | 'error') => void, inner: typeof fetch = fetch): typeof fetch =>
  (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    try {
      const response = await inner(input, init);
      report(response.status < 400 ? 'ok' : 'error');
      return response;
    } catch (error) {
      report('error');
      throw error;
    }
  }) as typeof fetch;
