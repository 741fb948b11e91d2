# Google: GCS artifact → Vertex AI model (serving container) → endpoint → deployed model on
# the accelerator class's machine type and GPU, min..max replicas.

resource "google_storage_bucket" "artifacts" {
  count         = local.on_google
  name          = "${var.name}-model-artifacts"
  location      = var.region
  force_destroy = true
  labels        = var.tags
}

resource "google_storage_bucket_object" "model" {
  count  = local.on_google
  name   = "${var.name}/${local.artifact}"
  bucket = google_storage_bucket.artifacts[0].name
  source = var.model_artifact
}

resource "google_vertex_ai_model" "this" {
  count        = local.on_google
  model_id     = var.name
  region       = var.region
  display_name = var.name
  artifact_uri = "gs://${google_storage_bucket.artifacts[0].name}/${var.name}/"
  labels       = var.tags
  container_spec {
    image_uri = var.container_image
  }
  depends_on = [google_storage_bucket_object.model]
}

resource "google_vertex_ai_endpoint" "this" {
  count = local.on_google
  # Vertex endpoint ids are numbers (at most 10 digits, no leading zero): one derived from
  # the name, stable across plans.
  name         = tostring(1000000000 + parseint(substr(sha1(var.name), 0, 7), 16))
  display_name = var.name
  location     = var.region
  labels       = var.tags
}

resource "google_vertex_ai_endpoint_deployed_model" "this" {
  count        = local.on_google
  endpoint     = google_vertex_ai_endpoint.this[0].id
  model        = google_vertex_ai_model.this[0].id
  display_name = var.name
  dedicated_resources {
    machine_spec {
      machine_type      = local.instance_type
      accelerator_type  = lookup(local.google_accelerators, var.accelerator, null)
      accelerator_count = 1
    }
    min_replica_count = var.replicas
    max_replica_count = local.max_replicas
  }

  lifecycle {
    precondition {
      condition     = local.instance_type != null
      error_message = "Vertex AI has no machine type for accelerator class ${var.accelerator}."
    }
  }
}
