import { INestMicroservice, Injectable, OnApplicationBootstrap } from '@nestjs/common';

/**
 * Starts the gRPC transport when the application initialises (app.init(), and so app.listen()), before the
 * HTTP server takes calls: whoever starts the API gets both transports, with nothing extra to call.
 */
@Injectable()
export class GrpcLifecycle implements OnApplicationBootstrap {
  private transport: INestMicroservice | null = null;

  /** Called by bootstrap.ts once the transport is connected to the application. */
  startWithApplication(transport: INestMicroservice): void {
    this.transport = transport;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.transport?.listen();
  }
}
