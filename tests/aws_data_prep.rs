//! Data preparation on AWS (tests/fixtures/aws_data_prep): a Glue catalog database, a crawler
//! over an S3 prefix, an ETL job, a lifecycle configuration tiering the raw data, and a shared
//! EFS file system with a mount target — natively,
//! beside Terraform + the real hashicorp/aws 5.100.0 plugin on moto: same known planned
//! values and the same state shapes; read back with the SDK; workers and throughput changed in
//! place; a crawler schedule changed out of band shown and corrected; both tools plan no
//! change on the other's state; destroy leaves nothing.

mod common;
use common::fixture;
use common::moto::Moto;
use common::tf_aws::{
    apply_expecting, assert_no_change_either_tool, assert_plan_parity, assert_reverse_then_destroy,
    plan_expecting_changes, Tf,
};

const TYPES: &[&str] = &[
    "aws_efs_file_system",
    "aws_efs_mount_target",
    "aws_glue_catalog_database",
    "aws_glue_crawler",
    "aws_glue_job",
    "aws_s3_bucket_lifecycle_configuration",
];

#[test]
fn data_prep_stack_applies_updates_drifts_and_moves_both_ways() {
    let moto = Moto::start();
    let env = moto.env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = rt.block_on(moto.sdk());
    let efs = aws_sdk_efs::Client::new(&conf);
    let glue = aws_sdk_glue::Client::new(&conf);
    let s3 = aws_sdk_s3::Client::new(&conf);

    let g = fixture("aws_data_prep");
    let tf = Tf::new(&g, env.clone());
    assert_plan_parity(&g, &tf, &env, &[]);
    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    rt.block_on(async {
        let fs = efs
            .describe_file_systems()
            .creation_token("prep-shared")
            .send()
            .await
            .unwrap();
        let fs = &fs.file_systems()[0];
        assert_eq!(fs.encrypted(), Some(true));
        assert_eq!(fs.name(), Some("prep-shared"));
        let id = fs.file_system_id();
        let lc = efs
            .describe_lifecycle_configuration()
            .file_system_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            lc.lifecycle_policies()[0]
                .transition_to_ia()
                .map(|t| t.as_str()),
            Some("AFTER_30_DAYS")
        );
        let mts = efs
            .describe_mount_targets()
            .file_system_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(mts.mount_targets().len(), 1, "one mount target");
        let groups = efs
            .describe_mount_target_security_groups()
            .mount_target_id(mts.mount_targets()[0].mount_target_id())
            .send()
            .await
            .unwrap();
        assert_eq!(groups.security_groups().len(), 1);

        let db = glue.get_database().name("prep_raw").send().await.unwrap();
        let db = db.database().unwrap();
        assert_eq!(
            db.parameters().unwrap().get("owner").map(String::as_str),
            Some("ml-platform")
        );
        let cr = glue.get_crawler().name("prep-raw").send().await.unwrap();
        let cr = cr.crawler().unwrap();
        assert_eq!(
            cr.targets().unwrap().s3_targets()[0].path(),
            Some("s3://prep-raw-data/events/")
        );
        assert_eq!(
            cr.schedule().and_then(|s| s.schedule_expression()),
            Some("cron(0 3 * * ? *)")
        );
        assert_eq!(
            cr.schema_change_policy()
                .and_then(|p| p.delete_behavior())
                .map(|d| d.as_str()),
            Some("LOG")
        );
        let job = glue.get_job().job_name("prep-shards").send().await.unwrap();
        let job = job.job().unwrap();
        assert_eq!(job.number_of_workers(), Some(2));
        assert_eq!(job.worker_type().map(|w| w.as_str()), Some("G.1X"));
        assert_eq!(
            job.command().and_then(|c| c.script_location()),
            Some("s3://prep-raw-data/jobs/shards.py")
        );
        let tags = glue
            .get_tags()
            .resource_arn("arn:aws:glue:us-east-1:123456789012:job/prep-shards")
            .send()
            .await
            .unwrap();
        assert_eq!(
            tags.tags().and_then(|t| t.get("team")).map(String::as_str),
            Some("ml")
        );
    });

    assert_no_change_either_tool(&g, &tf, &env);

    // More workers, provisioned throughput, earlier tiering: all changed in place.
    let more = [
        "-var",
        "workers=6",
        "-var",
        "throughput_mode=provisioned",
        "-var",
        "tier_days=14",
    ];
    apply_expecting(&g, &env, &more, "0 added, 3 changed, 0 destroyed");
    rt.block_on(async {
        let job = glue.get_job().job_name("prep-shards").send().await.unwrap();
        assert_eq!(job.job().unwrap().number_of_workers(), Some(6));
        let fs = efs
            .describe_file_systems()
            .creation_token("prep-shared")
            .send()
            .await
            .unwrap();
        let fs = &fs.file_systems()[0];
        assert_eq!(
            fs.throughput_mode().map(|t| t.as_str()),
            Some("provisioned")
        );
        assert_eq!(fs.provisioned_throughput_in_mibps(), Some(256.0));
        let lc = s3
            .get_bucket_lifecycle_configuration()
            .bucket("prep-raw-data")
            .send()
            .await
            .unwrap();
        let events = &lc.rules()[0];
        let days: Vec<_> = events
            .transitions()
            .iter()
            .filter_map(|t| t.days())
            .collect();
        assert!(days.contains(&14) && days.contains(&90), "{days:?}");
        assert_eq!(
            lc.rules()[1]
                .abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation()),
            Some(7)
        );
    });

    // Drift: someone reschedules the crawler by hand.
    rt.block_on(async {
        glue.update_crawler()
            .name("prep-raw")
            .schedule("cron(0 12 * * ? *)")
            .send()
            .await
            .unwrap();
    });
    let r = plan_expecting_changes(&g, &env, &more);
    assert!(
        r.stdout
            .contains("\"cron(0 12 * * ? *)\" -> \"cron(0 3 * * ? *)\""),
        "{}",
        r.stdout
    );
    let mut args = vec!["apply", "-auto-approve"];
    args.extend_from_slice(&more);
    let r = g.gantry_with(&args, &env);
    assert_eq!(r.code, 0, "{}", r.all());
    rt.block_on(async {
        let cr = glue.get_crawler().name("prep-raw").send().await.unwrap();
        assert_eq!(
            cr.crawler()
                .unwrap()
                .schedule()
                .and_then(|s| s.schedule_expression()),
            Some("cron(0 3 * * ? *)")
        );
    });

    // The reverse: Terraform's stack plans no change under gantry, in the same state shapes.
    assert_reverse_then_destroy("aws_data_prep", &g, &env, TYPES);
    rt.block_on(async {
        let fs = efs.describe_file_systems().send().await.unwrap();
        assert!(fs.file_systems().is_empty(), "{:?}", fs.file_systems());
        let jobs = glue.list_jobs().send().await.unwrap();
        assert!(jobs.job_names().is_empty(), "{:?}", jobs.job_names());
        let crawlers = glue.list_crawlers().send().await.unwrap();
        assert!(crawlers.crawler_names().is_empty());
        let dbs = glue.get_databases().send().await.unwrap();
        assert!(dbs.database_list().is_empty());
    });
}
