import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { ApiKeys } from '@patchstate/auth';

/**
 * A fresh database has no key to create keys with. The first start creates an admin key — the configured
 * one, or a generated one printed exactly once (it is not stored in clear anywhere, so keep it).
 */
@Injectable()
export class AdminKeyBootstrap implements OnApplicationBootstrap {
  constructor(
    private readonly keys: ApiKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const created = await this.keys.bootstrapAdmin(this.config.auth.bootstrapAdminKey);
    if (created?.generated) {
      process.stdout.write(
        `\n  First start: created the admin API key "bootstrap-admin". It is shown only this once:\n\n    ${created.key}\n\n` +
          `  Use it as "Authorization: Bearer <key>", and create narrower keys with: npm run keys -- create --role operator --name <name>\n\n`,
      );
    }
  }
}
