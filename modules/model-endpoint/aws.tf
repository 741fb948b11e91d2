# AWS: S3 artifact → SageMaker model (execution role reading the artifact) → endpoint
# configuration → endpoint, with target-tracking autoscaling when max_replicas > replicas.

data "aws_region" "current" {
  count = local.on_aws
}

resource "aws_s3_bucket" "artifacts" {
  count         = local.on_aws
  bucket        = "${var.name}-model-artifacts"
  force_destroy = true
  tags          = var.tags
}

resource "aws_s3_object" "model" {
  count  = local.on_aws
  bucket = aws_s3_bucket.artifacts[0].id
  key    = "model/${local.artifact}"
  source = var.model_artifact
  etag   = filemd5(var.model_artifact)
}

resource "aws_iam_role" "serving" {
  count = local.on_aws
  name  = "${var.name}-serving"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "sagemaker.amazonaws.com" }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "read_model" {
  count = local.on_aws
  name  = "read-model"
  role  = aws_iam_role.serving[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = [aws_s3_bucket.artifacts[0].arn, "${aws_s3_bucket.artifacts[0].arn}/*"]
    }]
  })
}

resource "aws_sagemaker_model" "this" {
  count              = local.on_aws
  name               = var.name
  execution_role_arn = aws_iam_role.serving[0].arn
  primary_container {
    image          = var.container_image
    model_data_url = "s3://${aws_s3_bucket.artifacts[0].bucket}/${aws_s3_object.model[0].key}"
  }
  tags       = var.tags
  depends_on = [aws_iam_role_policy.read_model]

  lifecycle {
    precondition {
      condition     = local.instance_type != null
      error_message = "SageMaker has no instance type for accelerator class ${var.accelerator}."
    }
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  count = local.on_aws
  # Type and count in the name: a new configuration exists beside the old one while the
  # endpoint moves over.
  name = "${var.name}-${replace(local.instance_type, ".", "-")}-${var.replicas}"
  production_variants {
    variant_name           = "main"
    model_name             = aws_sagemaker_model.this[0].name
    instance_type          = local.instance_type
    initial_instance_count = var.replicas
  }
  tags = var.tags
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  count                = local.on_aws
  name                 = var.name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this[0].name
  tags                 = var.tags
}

resource "aws_appautoscaling_target" "this" {
  count              = local.on_aws == 1 && local.max_replicas > var.replicas ? 1 : 0
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.this[0].name}/variant/main"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = var.replicas
  max_capacity       = local.max_replicas
}

resource "aws_appautoscaling_policy" "this" {
  count              = length(aws_appautoscaling_target.this)
  name               = "${var.name}-invocations"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value = 100
    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}
