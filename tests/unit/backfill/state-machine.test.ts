import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';

// The state machine's definition is a Terraform template (terraform/backfill.asl.json): filled
// here with distinct values, as templatefile() fills it, then checked against the States
// Language schema offline.
const TEMPLATE = readFileSync(join(__dirname, '../../../terraform/backfill.asl.json'), 'utf8');
const VALUES: Record<string, string> = {
  partition: 'aws-us-gov',
  source_bucket: 'source-bucket-1',
  report_bucket: 'report-bucket-2',
  report_prefix: 'backfill/',
  function_arn: 'arn:aws-us-gov:lambda:us-gov-west-1:111122223333:function:rep-backfill',
  batch_size: '250',
  max_concurrency: '40',
  tolerated_failure_percentage: '5',
};

function render(values: Record<string, string>): string {
  return TEMPLATE.replace(/\$\{([a-z_]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`the template names \${${name}}, which terraform/backfill.tf does not pass`);
    return value;
  });
}

type Json = Record<string, unknown>;
const definition = JSON.parse(render(VALUES)) as { States: Record<string, Json> };
const state = (name: string) => definition.States[name]!;

describe('the backfill state machine definition', () => {
  it('is valid Amazon States Language, ARNs and paths included', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });

  it('is not valid when a state is broken (the validator does check)', () => {
    const broken = JSON.parse(render(VALUES)) as { States: Record<string, Json> };
    delete broken.States.EnqueueFromListing!.ItemProcessor;
    expect(aslValidator(broken).isValid).toBe(false);
  });

  it('leaves no template expression unfilled', () => {
    expect(render(VALUES)).not.toContain('${');
  });

  it.each([
    ['EnqueueFromListing', 'arn:aws-us-gov:states:::s3:listObjectsV2', 'none', 'EnqueueBatch'],
    ['EnqueueFromInventory', 'arn:aws-us-gov:states:::s3:getObject', 'url', 'EnqueueInventoryBatch'],
  ])('%s reads %s, batches keys, and hands them to the backfill function', (name, reader, keyEncoding, task) => {
    const map = state(name) as {
      ItemReader: { Resource: string; ReaderConfig?: { InputType: string } };
      ItemBatcher: { MaxItemsPerBatch: number; BatchInput: Json };
      MaxConcurrency: number;
      ToleratedFailurePercentage: number;
      ItemProcessor: { ProcessorConfig: Json; States: Record<string, { Parameters: Json }> };
      ResultWriter: { Parameters: Json };
    };
    expect(map.ItemReader.Resource).toBe(reader);
    expect(map.ItemBatcher.MaxItemsPerBatch).toBe(250);
    expect(map.ItemBatcher.BatchInput.keyEncoding).toBe(keyEncoding);
    expect(map.MaxConcurrency).toBe(40);
    expect(map.ToleratedFailurePercentage).toBe(5);
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(map.ItemProcessor.States[task]!.Parameters.FunctionName).toBe(VALUES.function_arn);
    expect(map.ResultWriter.Parameters).toEqual({ Bucket: 'report-bucket-2', Prefix: 'backfill/map-runs' });
  });

  it('reads the listing of the source bucket under the input prefix, and inventories only when asked', () => {
    expect((state('EnqueueFromListing').ItemReader as { Parameters: Json }).Parameters).toEqual({ Bucket: 'source-bucket-1', 'Prefix.$': '$.args.prefix' });
    expect(state('Source').Choices).toEqual([{ Variable: '$.args.inventoryManifest', IsPresent: true, Next: 'EnqueueFromInventory' }]);
    expect(state('Source').Default).toBe('EnqueueFromListing');
  });

  it('fails the execution when keys could not be enqueued, so the alarm fires', () => {
    expect(state('AllEnqueued?').Choices).toEqual([{ Variable: '$.report.Payload.failed', NumericGreaterThan: 0, Next: 'KeysFailed' }]);
    expect(state('KeysFailed').Type).toBe('Fail');
  });
});
