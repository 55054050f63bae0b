import { ApiKeys, InvalidApiKeyInputError, type ApiKeyInfo } from '../auth/index.js';
import type { Config } from '../config/index.js';
import type { ParsedArgs } from './args.js';
import { openStorage } from '../app/index.js';

export const KEYS_USAGE = `distill keys <create|list|revoke> [...] [--database-url URL]

  create --tenant NAME [--name LABEL]   make a key; its secret is printed once, never stored
  list                                  every key: id, prefix, tenant, name, created, last used, revoked
  revoke <id|prefix>                    the key stops working within 5 s on every API process

Works on the database directly (like \`distill migrate\`), not through the API. The API asks for a key
(Authorization: Bearer <key>, or X-API-Key) from the first key on, even once every key is revoked; with
no key ever made, auth is off.`;

function formatTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function describe(key: ApiKeyInfo): string {
  return [
    key.id,
    key.prefix,
    key.tenant,
    key.name ?? '-',
    formatTime(key.createdAt),
    formatTime(key.lastUsedAt),
    key.revokedAt === null ? 'live' : `revoked ${formatTime(key.revokedAt)}`,
  ].join('\t');
}

/** `distill keys create|list|revoke`; resolves with the exit code. */
export async function runKeys(config: Config, args: ParsedArgs): Promise<number> {
  const [action, ...rest] = args.positionals;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    console.error(
      `Expected \`distill keys create|list|revoke\`, got ${action === undefined ? 'nothing' : `\`${action}\``}.\n\n${KEYS_USAGE}`,
    );
    return 2;
  }
  const storage = openStorage(config.databaseUrl);
  try {
    await storage.migrate();
    const keys = new ApiKeys({ store: storage.apiKeys });
    if (action === 'create') {
      const tenant = args.flags.get('--tenant');
      if (tenant === undefined) {
        console.error(
          '`distill keys create` needs --tenant NAME (use `default` to see the jobs made while auth was off)',
        );
        return 2;
      }
      const isFirstKey = (await keys.list()).length === 0;
      const created = await keys.create({ tenant, name: args.flags.get('--name') });
      console.log(created.secret);
      console.error(
        `Created key ${created.id} (${created.prefix}…) for tenant ${created.tenant}. The secret above is shown once: store it now.`,
      );
      // The first key turns auth on, and the jobs made while it was off belong to tenant `default`:
      // a key of another tenant does not see them.
      if (isFirstKey && tenant !== 'default' && (await storage.hasJobs('default'))) {
        console.error(
          'Auth is on from now. This database holds jobs made while it was off (tenant default), which this key does not see: ' +
            'to keep reading them, also make a key with `distill keys create --tenant default`.',
        );
      }
      return 0;
    }
    if (action === 'list') {
      const all = await keys.list();
      console.log(['id', 'prefix', 'tenant', 'name', 'created', 'last used', 'state'].join('\t'));
      for (const key of all) console.log(describe(key));
      if (all.length === 0) console.error('No key: API auth is off.');
      else if (all.every((key) => key.revokedAt !== null))
        console.error('Every key is revoked: the API refuses every /v1/ request until a new key is made.');
      return 0;
    }
    const target = rest[0];
    if (target === undefined) {
      console.error('`distill keys revoke` needs the id or the prefix of a key (see `distill keys list`)');
      return 2;
    }
    const revoked = await keys.revoke(target);
    if (!revoked) {
      console.error(`No single key has the id or prefix ${JSON.stringify(target)}`);
      return 1;
    }
    console.log(describe(revoked));
    return 0;
  } catch (error) {
    if (error instanceof InvalidApiKeyInputError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  } finally {
    await storage.close();
  }
}
