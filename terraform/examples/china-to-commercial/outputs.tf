output "secret_arn" {
  description = "Put the commercial user's access key in this secret (see the module README)."
  value       = module.replicate.secret_arn
}

output "destination_user_name" {
  description = "The commercial IAM user to create the access key for."
  value       = module.replicate.destination_user_name
}

output "destination_partition" {
  description = "The secret's partition field."
  value       = module.replicate.destination_partition
}

output "destination_account_id" {
  description = "The secret's accountid field (commercial account)."
  value       = module.replicate.destination_account_id
}

output "destination_region" {
  description = "The secret's region field."
  value       = module.replicate.destination_region
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline."
  value       = module.replicate.dashboard_name
}

output "queue_url" {
  description = "URL of the FIFO queue."
  value       = module.replicate.queue_url
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = module.replicate.dlq_url
}

output "sns_topic_arn" {
  description = "Alarm topic."
  value       = module.replicate.sns_topic_arn
}
