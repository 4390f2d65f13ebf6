import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { CommandBus, CqrsModule } from '@nestjs/cqrs';
import { COMMAND_HANDLER_METADATA } from '@nestjs/cqrs/dist/decorators/constants';
import { AnyCommand, BUS_COMMAND_CLASSES, COMMAND_HANDLERS, CommandExecutor, CommandResult, busCommandFor } from '@patchstate/command-handling';
import { commandMetadata } from '../../../test/builders';

/** Every domain command type, as the domain's unions name them (DeviceCommand, PatchCatalogCommand). */
const DOMAIN_COMMAND_TYPES: AnyCommand['type'][] = [
  'RegisterDevice',
  'ReportDeviceProfile',
  'ApplyHotpatch',
  'CommitOnReboot',
  'StageUpdate',
  'RevertHotpatch',
  'ReportHotpatchFailure',
  'RetireDevice',
  'CheckInDevice',
  'PublishPatch',
  'RevokePatch',
  'ImportRelease',
];

describe('one class and one handler per command on the CQRS bus', () => {
  it('each domain command type has its own bus class, named after it', () => {
    expect(Object.keys(BUS_COMMAND_CLASSES).sort()).toEqual([...DOMAIN_COMMAND_TYPES].sort());
    const classes = Object.values(BUS_COMMAND_CLASSES);
    expect(new Set(classes).size).toBe(classes.length);
    for (const type of DOMAIN_COMMAND_TYPES) expect(BUS_COMMAND_CLASSES[type].name).toBe(`${type}Command`);
  });

  it('each bus class has exactly one handler', () => {
    const handled = COMMAND_HANDLERS.map((handler) => Reflect.getMetadata(COMMAND_HANDLER_METADATA, handler) as unknown);
    expect(handled).toHaveLength(DOMAIN_COMMAND_TYPES.length);
    expect(new Set(handled)).toEqual(new Set(Object.values(BUS_COMMAND_CLASSES)));
  });

  it('the bus hands every command, in its class, to the one executor with its options', async () => {
    const executed: { type: string; options: object }[] = [];
    const executor = {
      execute: (command: AnyCommand, options: object): Promise<CommandResult> => {
        executed.push({ type: command.type, options });
        return Promise.resolve({ outcome: { kind: 'unchanged', streamId: 's', version: 0 }, append: null, replayed: false });
      },
    };
    const moduleRef = await Test.createTestingModule({
      imports: [CqrsModule],
      providers: [...COMMAND_HANDLERS, { provide: CommandExecutor, useValue: executor }],
    }).compile();
    await moduleRef.init();
    const bus = moduleRef.get(CommandBus);
    for (const type of DOMAIN_COMMAND_TYPES) {
      const command = { type, data: {}, metadata: commandMetadata() } as unknown as AnyCommand;
      const busCommand = busCommandFor(command, { expectedVersion: 3 });
      expect(busCommand).toBeInstanceOf(BUS_COMMAND_CLASSES[type]);
      await bus.execute(busCommand);
    }
    expect(executed).toEqual(DOMAIN_COMMAND_TYPES.map((type) => ({ type, options: { expectedVersion: 3 } })));
    await moduleRef.close();
  });
});
