//! `workspace new|select|list|show|delete`: Terraform's workspaces, in the configured
//! backend's layout (local: `plans::workspaces`; remote: each backend's own).

use super::*;
use args::WorkspaceCmd;
use gantry::plans::workspaces;

pub(crate) fn workspace_cmd(ctx: &Ctx, w: WorkspaceCmd) -> Outcome {
    let cfg = ctx.ws.config().ok().map(|(c, _)| c);
    let backend = ctx.ws.configured(cfg.as_ref())?;
    let names = || backend.workspaces().map_err(state_err);
    let exists = |name: &str| -> Result<bool, Failure> {
        Ok(name == workspaces::DEFAULT || names()?.iter().any(|n| n == name))
    };
    let current = workspaces::current(&ctx.ws.dir);
    match w {
        WorkspaceCmd::Show => {
            println!("{current}");
            Ok(0)
        }
        WorkspaceCmd::List => {
            for name in names()? {
                let mark = if name == current { "*" } else { " " };
                println!("{mark} {name}");
            }
            println!();
            Ok(0)
        }
        WorkspaceCmd::New { name } => {
            workspaces::check_name(&name)?;
            if exists(&name)? {
                return Err(Failure::from(Diagnostic::error(
                    format!("Workspace {name:?} already exists"),
                    "",
                )));
            }
            backend.create_workspace(&name).map_err(state_err)?;
            workspaces::select(&ctx.ws.dir, &name)?;
            println!(
                "{}\n\nYou're now on a new, empty workspace. Workspaces isolate their state,\nso if you run \"gantry plan\" gantry will not see any existing state\nfor this configuration.",
                ctx.style.bold(&format!("Created and switched to workspace {name:?}!"))
            );
            Ok(0)
        }
        WorkspaceCmd::Select { or_create, name } => {
            workspaces::check_name(&name)?;
            if !exists(&name)? {
                if !or_create {
                    return Err(Failure::from(Diagnostic::error(
                        format!("Workspace {name:?} doesn't exist."),
                        "You can create this workspace with the \"new\" subcommand \nor include the \"-or-create\" flag with the \"select\" subcommand.",
                    )));
                }
                backend.create_workspace(&name).map_err(state_err)?;
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
            if !exists(&name)? {
                return Err(Failure::from(Diagnostic::error(
                    format!("Workspace {name:?} doesn't exist."),
                    "",
                )));
            }
            let target = backend.state(&name);
            // Held while deleting, so no run of that workspace is cut off mid-write.
            let _lock = target
                .lock("OperationTypeInvalid", std::time::Duration::ZERO)
                .map_err(state_err)?;
            let (state, _) = target.load().map_err(state_err)?;
            if !state.resources.is_empty() && !force {
                let list: Vec<String> =
                    state.resources.keys().map(|a| format!("  - {a}")).collect();
                return Err(Failure::from(Diagnostic::error(
                    "Workspace is not empty",
                    format!("Workspace {name:?} is currently tracking the following resource instances:\n{}\n\nDeleting this workspace would cause gantry to lose track of any associated\nremote objects, which would then require you to delete them manually outside\nof gantry. You should destroy these objects with gantry before deleting\nthe workspace.\n\nIf you want to delete this workspace anyway, and have gantry forget about\nthese managed objects, use the -force option to disable this safety check.", list.join("\n")),
                )));
            }
            drop(_lock);
            backend.delete_workspace(&name).map_err(state_err)?;
            println!(
                "{}",
                ctx.style.bold(&format!("Deleted workspace {name:?}!"))
            );
            Ok(0)
        }
    }
}
