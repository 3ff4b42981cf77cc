output "destinations" {
  description = "Per destination: the secret to fill and the user, account, partition and region the key step puts in it."
  value       = module.replicate.destinations
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
  description = "Alarm and failure-notification topic."
  value       = module.replicate.sns_topic_arn
}
