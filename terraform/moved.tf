# Addresses of earlier versions of this module, so an upgrade moves the objects instead of
# replacing them (the IAM user, whose out-of-band access key would go with it, and the secret).
moved {
  from = aws_iam_user.destination
  to   = module.destination[0].aws_iam_user.this
}

moved {
  from = aws_iam_user_policy.destination
  to   = module.destination[0].aws_iam_user_policy.this
}

moved {
  from = aws_secretsmanager_secret.destination
  to   = aws_secretsmanager_secret.destination["default"]
}

moved {
  from = aws_lambda_function.this["relay"]
  to   = aws_lambda_function.relay
}

moved {
  from = aws_lambda_function.this["replicate"]
  to   = aws_lambda_function.replicate
}
