################################################################################
# Queues
################################################################################

output "queue_url" {
  description = "URL of the FIFO queue the relay function writes to."
  value       = aws_sqs_queue.main.url
}

output "queue_arn" {
  description = "ARN of the FIFO queue."
  value       = aws_sqs_queue.main.arn
}

output "dlq_url" {
  description = "URL of the FIFO dead-letter queue of the replicate function."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the FIFO dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "events_dlq_url" {
  description = "URL of the dead-letter queue of events the relay function could not take."
  value       = aws_sqs_queue.events_dlq.url
}

output "events_dlq_arn" {
  description = "ARN of the events dead-letter queue."
  value       = aws_sqs_queue.events_dlq.arn
}

################################################################################
# Functions and state
################################################################################

output "relay_function_name" {
  description = "Name of the relay function."
  value       = aws_lambda_function.this["relay"].function_name
}

output "replicate_function_name" {
  description = "Name of the replicate function."
  value       = aws_lambda_function.this["replicate"].function_name
}

output "replicate_role_arn" {
  description = "ARN of the replicate function's role (e.g. for the source keys' key policies)."
  value       = aws_iam_role.function["replicate"].arn
}

output "table_name" {
  description = "Name of the DynamoDB state table."
  value       = aws_dynamodb_table.state.name
}

output "replicate_since" {
  description = "REPLICATE_SINCE: the first apply's time; older versions are left to the backfill."
  value       = terraform_data.replicate_since.output
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule on the source bucket's events."
  value       = aws_cloudwatch_event_rule.source.arn
}

################################################################################
# Destination credentials (never the key itself)
################################################################################

output "secret_arn" {
  description = "ARN of the secret that holds the destination user's access key (value not exported)."
  value       = aws_secretsmanager_secret.destination.arn
}

output "destination_user_name" {
  description = "Name of the IAM user in the destination account."
  value       = aws_iam_user.destination.name
}

output "destination_user_arn" {
  description = "ARN of the IAM user in the destination account."
  value       = aws_iam_user.destination.arn
}

################################################################################
# Alarms
################################################################################

output "sns_topic_arn" {
  description = "ARN of the SNS topic the alarms notify."
  value       = aws_sns_topic.alarms.arn
}
