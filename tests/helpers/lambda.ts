import type { Context, SQSRecord } from 'aws-lambda';

/** A Lambda context as the runtime passes it; `remainingMs` drives the copy's checkpointing. */
export function lambdaContext(remainingMs: () => number = () => 900_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'replicate',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:replicate',
    memoryLimitInMB: '1024',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: '/aws/lambda/replicate',
    logStreamName: 'stream',
    getRemainingTimeInMillis: remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

let sequence = 0;

/** An SQS FIFO record as Lambda delivers it. */
export function sqsRecord(body: string, groupId: string, messageId = `msg-${++sequence}`): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'relay',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      SequenceNumber: String(sequence),
      MessageGroupId: groupId,
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:replicate.fifo',
    awsRegion: 'us-east-1',
  };
}
