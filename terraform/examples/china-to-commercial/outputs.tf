output "secret_arn" {
  description = "Put the commercial user's access key in this secret (see the module README)."
  value       = module.replicate.secret_arn
}

output "destination_user_name" {
  description = "The commercial IAM user to create the access key for."
  value       = module.replicate.destination_user_name
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
