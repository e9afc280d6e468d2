import { createServer } from 'node:net';
import { portIsFree } from '../../db/portIsFree.ts';

/** A port the OS picks (free a moment ago): no two starting consoles pick the same one, as a scan would. */
export const pickedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** `preferred` when free, else the next free one above it (or one the OS picks), and whether it moved. */
export const choosePort = async (preferred: number, tries = 20): Promise<{ port: number; moved: boolean }> => {
  for (let port = preferred; port < Math.min(65_536, preferred + tries); port += 1) {
    if (port > 0 && (await portIsFree(port, '0.0.0.0'))) return { port, moved: port !== preferred };
  }
  return { port: await pickedPort(), moved: true };
};
