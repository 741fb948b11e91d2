//! SageMaker beyond endpoints (tests/fixtures/aws_sagemaker_studio): a Studio domain in a
//! VPC, a user profile, a code repository, a serial-pipeline model (two `container` blocks,
//! Direct inference) and a multi-model model from a private registry — natively, beside
//! Terraform + the real hashicorp/aws 5.100.0 plugin on moto: same known planned values and
//! state shapes; read back with the SDK; a user's role changed in place; the domain's default
//! role changed out of band shown and corrected; both tools plan no change on the other's
//! state; destroy leaves nothing.

mod common;
use common::fixture;
use common::moto::Moto;
use common::tf_aws::{
    apply_expecting, assert_no_change_either_tool, assert_plan_parity, assert_reverse_then_destroy,
    Tf,
};

const TYPES: &[&str] = &[
    "aws_sagemaker_domain",
    "aws_sagemaker_user_profile",
    "aws_sagemaker_code_repository",
    "aws_sagemaker_model",
];

#[test]
fn studio_domain_profile_repository_and_multi_container_models() {
    let moto = Moto::start();
    let env = moto.env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sm = aws_sdk_sagemaker::Client::new(&rt.block_on(moto.sdk()));
    let role = |r: &str| format!("arn:aws:iam::123456789012:role/studio-{r}");

    let g = fixture("aws_sagemaker_studio");
    let tf = Tf::new(&g, env.clone());
    assert_plan_parity(&g, &tf, &env, &[]);
    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    let domain_id = rt.block_on(async {
        let domains = sm.list_domains().send().await.unwrap();
        let d = domains
            .domains()
            .iter()
            .find(|d| d.domain_name() == Some("studio-team"))
            .expect("the domain exists");
        let id = d.domain_id().unwrap().to_string();
        let d = sm.describe_domain().domain_id(&id).send().await.unwrap();
        let settings = d.default_user_settings().unwrap();
        assert_eq!(settings.execution_role(), Some(role("default").as_str()));
        assert_eq!(settings.security_groups().len(), 1);
        assert_eq!(
            d.app_network_access_type().map(|a| a.as_str()),
            Some("VpcOnly")
        );
        let p = sm
            .describe_user_profile()
            .domain_id(&id)
            .user_profile_name("ada")
            .send()
            .await
            .unwrap();
        assert_eq!(
            p.user_settings().and_then(|u| u.execution_role()),
            Some(role("default").as_str())
        );
        let repo = sm
            .describe_code_repository()
            .code_repository_name("studio-notebooks")
            .send()
            .await
            .unwrap();
        assert_eq!(repo.git_config().and_then(|g| g.branch()), Some("main"));
        let m = sm
            .describe_model()
            .model_name("studio-pipeline")
            .send()
            .await
            .unwrap();
        let hosts: Vec<_> = m
            .containers()
            .iter()
            .map(|c| c.container_hostname().unwrap_or_default())
            .collect();
        assert_eq!(hosts, ["preprocess", "predict"]);
        assert_eq!(
            m.inference_execution_config()
                .and_then(|i| i.mode())
                .map(|m| m.as_str()),
            Some("Direct")
        );
        let m = sm
            .describe_model()
            .model_name("studio-multi")
            .send()
            .await
            .unwrap();
        let pc = m.primary_container().unwrap();
        assert_eq!(pc.mode().map(|m| m.as_str()), Some("MultiModel"));
        assert_eq!(
            pc.multi_model_config()
                .and_then(|c| c.model_cache_setting())
                .map(|s| s.as_str()),
            Some("Disabled")
        );
        id
    });

    assert_no_change_either_tool(&g, &tf, &env);

    // Ada becomes a scientist: her profile changes in place.
    apply_expecting(
        &g,
        &env,
        &["-var", "user_role=scientist"],
        "0 added, 1 changed, 0 destroyed",
    );
    rt.block_on(async {
        let p = sm
            .describe_user_profile()
            .domain_id(&domain_id)
            .user_profile_name("ada")
            .send()
            .await
            .unwrap();
        assert_eq!(
            p.user_settings().and_then(|u| u.execution_role()),
            Some(role("scientist").as_str())
        );
    });

    // Drift: the domain's default role is changed by hand.
    rt.block_on(async {
        sm.update_domain()
            .domain_id(&domain_id)
            .default_user_settings(
                aws_sdk_sagemaker::types::UserSettings::builder()
                    .execution_role(role("scientist"))
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let r = g.gantry_with(
        &["plan", "-detailed-exitcode", "-var", "user_role=scientist"],
        &env,
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stdout.contains("studio-scientist"), "{}", r.stdout);
    let r = g.gantry_with(
        &["apply", "-auto-approve", "-var", "user_role=scientist"],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    rt.block_on(async {
        let d = sm
            .describe_domain()
            .domain_id(&domain_id)
            .send()
            .await
            .unwrap();
        let settings = d.default_user_settings().unwrap();
        assert_eq!(settings.execution_role(), Some(role("default").as_str()));
        assert_eq!(settings.security_groups().len(), 1);
    });

    // The reverse: Terraform's workspace plans no change under gantry, in the same shapes.
    assert_reverse_then_destroy("aws_sagemaker_studio", &g, &env, TYPES);
    rt.block_on(async {
        assert!(sm.list_domains().send().await.unwrap().domains().is_empty());
        let repos = sm.list_code_repositories().send().await.unwrap();
        assert!(repos.code_repository_summary_list().is_empty());
        assert!(sm.list_models().send().await.unwrap().models().is_empty());
    });
}
