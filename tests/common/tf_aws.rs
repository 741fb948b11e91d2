//! Terraform with the real hashicorp/aws 5.100.0 plugin, from the machine's filesystem mirror,
//! pointed at a moto: the reference gantry's native AWS provider is compared with.

use super::{terraform_env, Dir, Run};
use std::path::PathBuf;

/// The filesystem mirror holding hashicorp/aws (`GANTRY_TF_PLUGIN_MIRROR`, else where this
/// project's machines carry it). Missing is a failure, never a skip.
pub fn plugin_mirror() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("GANTRY_TF_PLUGIN_MIRROR").unwrap_or_else(|_| "/opt/tf-plugins".into()),
    );
    let plugin = dir.join("registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64");
    assert!(
        plugin.is_dir(),
        "the hashicorp/aws 5.100.0 plugin must be in a filesystem mirror at {} (set GANTRY_TF_PLUGIN_MIRROR)",
        dir.display()
    );
    dir
}

/// A Terraform CLI configuration in `d` that installs hashicorp/aws from `mirror`.
pub fn mirror_config(d: &Dir, mirror: &std::path::Path) {
    d.write(
        ".terraformrc",
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
            mirror.display()
        ),
    );
}

/// Terraform in `d`, with the mirror configured and `env` (moto's) added.
pub struct Tf<'a> {
    pub dir: &'a Dir,
    pub env: Vec<(&'static str, String)>,
}

impl<'a> Tf<'a> {
    pub fn new(dir: &'a Dir, moto_env: Vec<(&'static str, String)>) -> Tf<'a> {
        mirror_config(dir, &plugin_mirror());
        let mut env = moto_env;
        env.push((
            "TF_CLI_CONFIG_FILE",
            dir.path().join(".terraformrc").display().to_string(),
        ));
        let tf = Tf { dir, env };
        let r = tf.run(&["init", "-input=false"]);
        assert_eq!(r.code, 0, "terraform init: {}", r.all());
        tf
    }

    pub fn run(&self, args: &[&str]) -> Run {
        terraform_env(self.dir.path(), args, &self.env)
    }
}
