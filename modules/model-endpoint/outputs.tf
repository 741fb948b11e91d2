output "instance_type" {
  description = "The instance (machine) type serving the model on the chosen cloud."
  value       = local.instance_type
}

output "endpoint_id" {
  description = "The endpoint's id on the chosen cloud."
  value = one(concat(
    aws_sagemaker_endpoint.this[*].arn,
    google_vertex_ai_endpoint.this[*].id,
    azurerm_machine_learning_online_endpoint.this[*].id,
  ))
}

output "endpoint_url" {
  description = "Where to send prediction requests."
  value = one(concat(
    [for e in aws_sagemaker_endpoint.this : "https://runtime.sagemaker.${data.aws_region.current[0].name}.amazonaws.com/endpoints/${e.name}/invocations"],
    [for e in google_vertex_ai_endpoint.this : "https://${var.region}-aiplatform.googleapis.com/v1/${e.id}:predict"],
    [for e in azurerm_machine_learning_online_endpoint.this : "https://${e.name}.${azurerm_resource_group.this[0].location}.inference.ml.azure.com/score"],
  ))
}
