//! `workspace new|select|list|show|delete`: Terraform's workspaces of the local backend
//! (`plans::workspaces` keeps the layout).

use super::*;
use args::WorkspaceCmd;
use gantry::plans::workspaces;

pub(crate) fn workspace_cmd(ctx: &Ctx, w: WorkspaceCmd) -> Outcome {
    let cfg = ctx.ws.config().ok().map(|(c, _)| c);
    let (_, dir) = ctx.ws.state_locations(cfg.as_ref())?;
    let current = workspaces::current(&ctx.ws.dir);
    match w {
        WorkspaceCmd::Show => {
            println!("{current}");
            Ok(0)
        }
        WorkspaceCmd::List => {
            for name in workspaces::list(&dir) {
                let mark = if name == current { "*" } else { " " };
                println!("{mark} {name}");
            }
            println!();
            Ok(0)
        }
        WorkspaceCmd::New { name } => {
            workspaces::create(&dir, &name)?;
            workspaces::select(&ctx.ws.dir, &name)?;
            println!(
                "{}\n\nYou're now on a new, empty workspace. Workspaces isolate their state,\nso if you run \"gantry plan\" gantry will not see any existing state\nfor this configuration.",
                ctx.style.bold(&format!("Created and switched to workspace {name:?}!"))
            );
            Ok(0)
        }
        WorkspaceCmd::Select { or_create, name } => {
            workspaces::check_name(&name)?;
            if !workspaces::exists(&dir, &name) {
                if !or_create {
                    return Err(Failure::from(Diagnostic::error(
                        format!("Workspace {name:?} doesn't exist."),
                        "You can create this workspace with the \"new\" subcommand \nor include the \"-or-create\" flag with the \"select\" subcommand.",
                    )));
                }
                workspaces::create(&dir, &name)?;
            }
            workspaces::select(&ctx.ws.dir, &name)?;
            println!(
                "{}",
                ctx.style.bold(&format!("Switched to workspace {name:?}."))
            );
            Ok(0)
        }
        WorkspaceCmd::Delete { force, name } => {
            if name == workspaces::DEFAULT {
                return Err(Failure::from(Diagnostic::error(
                    "Can't delete default state",
                    "The \"default\" workspace is always present.",
                )));
            }
            if name == current {
                return Err(Failure::from(Diagnostic::error(
                    format!("Workspace {name:?} is your active workspace."),
                    "You cannot delete the currently active workspace. Please switch\nto another workspace and try again.",
                )));
            }
            if !workspaces::exists(&dir, &name) {
                return Err(Failure::from(Diagnostic::error(
                    format!("Workspace {name:?} doesn't exist."),
                    "",
                )));
            }
            let path = dir.join(&name).join("terraform.tfstate");
            let backend = LocalBackend::new(&path, env!("CARGO_PKG_VERSION"));
            // Held while deleting, so no run of that workspace is cut off mid-write.
            let _lock = backend
                .lock("OperationTypeInvalid", std::time::Duration::ZERO)
                .map_err(state_err)?;
            let (state, _) = backend.load().map_err(state_err)?;
            if !state.resources.is_empty() && !force {
                let list: Vec<String> =
                    state.resources.keys().map(|a| format!("  - {a}")).collect();
                return Err(Failure::from(Diagnostic::error(
                    "Workspace is not empty",
                    format!("Workspace {name:?} is currently tracking the following resource instances:\n{}\n\nDeleting this workspace would cause gantry to lose track of any associated\nremote objects, which would then require you to delete them manually outside\nof gantry. You should destroy these objects with gantry before deleting\nthe workspace.\n\nIf you want to delete this workspace anyway, and have gantry forget about\nthese managed objects, use the -force option to disable this safety check.", list.join("\n")),
                )));
            }
            drop(_lock);
            workspaces::delete(&dir, &name)?;
            println!(
                "{}",
                ctx.style.bold(&format!("Deleted workspace {name:?}!"))
            );
            Ok(0)
        }
    }
}
