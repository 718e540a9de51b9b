// `init`: the state directory, an empty database (whose first writer becomes sysadmin) and a sample inventory.
import { copyFile, access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from './context.js';
import { transact } from './transaction.js';

export function packageRoot(): string {
  // dist/cli.js or dist/chunks/x.js, src/app/init.ts: walk up to the directory holding package.json's siblings.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (path.basename(dir) === 'dist' || path.basename(dir) === 'src') return path.dirname(dir);
    dir = path.dirname(dir);
  }
  return dir;
}

export async function init(ctx: Context): Promise<{ home: string; database: string; inventory: string; inventory_created: boolean; user_name: string }> {
  const home = ctx.store.home;
  const inventory = path.join(home, 'inventory.yml');
  const user = await transact(ctx, (tx) => {
    tx.require('read', null);
    return tx.actor.user?.user_name ?? ctx.osUser;
  });
  let created = false;
  try {
    await access(inventory);
  } catch {
    await copyFile(path.join(packageRoot(), 'inventory', 'example.yml'), inventory);
    created = true;
  }
  return { home, database: ctx.store.file, inventory, inventory_created: created, user_name: user };
}
