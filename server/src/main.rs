//! `darkroom`: serve the API and/or the worker, print the OpenAPI document, run migrations, probe a running
//! instance's readiness, or make thumbnails of local files.

mod cli;
mod malloc_tuning;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use darkroom::config::{Config, Overrides, Role};
use darkroom::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "darkroom",
    version,
    about = "A self-hostable image-sharing server"
)]
struct Cli {
    /// A TOML config file (default: ./darkroom.toml when it exists).
    #[arg(long, global = true, env = "DARKROOM_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: the API and the worker together, or one role (`api`, `worker`, `transform`).
    Serve {
        #[arg(long, value_enum)]
        role: Option<Role>,
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Where embedded backends keep their data (default ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Print the OpenAPI document (what `openapi/openapi.json` holds).
    Openapi,
    /// Create or upgrade what each configured backend needs, then exit.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Ask a running instance's /readyz: exit 0 when it is ready, 1 otherwise (a container HEALTHCHECK).
    Healthcheck(cli::healthcheck::HealthcheckArgs),
    /// Snapshot the embedded defaults (database, search index, queue, signing key, blobs) into a new or
    /// empty directory, or an empty S3 prefix, while the server runs. Shared backends: see docs/backup.md.
    Backup {
        /// The directory to write (created owner-only; refused when it holds anything), or
        /// `s3://BUCKET/PREFIX?region=…&endpoint=…` (an empty prefix; the storage URL's parameters).
        #[arg(long)]
        to: String,
        /// The data dir to back up (default: the configured one).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Bring a backup back into a new or empty data dir (never over live data).
    Restore {
        /// A directory, or an `s3://BUCKET/PREFIX?…`, that `darkroom backup` wrote.
        #[arg(long)]
        from: String,
        /// The data dir to create; start the server on it with `--data-dir`.
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Resize local image files with the upload pipeline (no server, no configuration).
    Thumbnail(cli::thumbnail::ThumbnailArgs),
    /// Print the least-privilege AWS IAM policy (JSON) for the configured S3 bucket, SQS queues,
    /// DynamoDB table and KMS key: only the actions the role's code calls.
    IamPolicy {
        #[arg(long, value_enum, default_value = "all")]
        role: Role,
        /// The AWS account the queues, table and key belong to (their ARNs name it).
        #[arg(long, env = "AWS_ACCOUNT_ID")]
        account_id: Option<String>,
    },
    /// Storage lifecycle helpers.
    #[command(subcommand)]
    Lifecycle(LifecycleCommand),
}

#[derive(Debug, Subcommand)]
enum LifecycleCommand {
    /// Print the S3 lifecycle configuration (JSON, on stdout) matching the archive tier, the retention
    /// window and abandoned multipart uploads, for the configured bucket; notes go to stderr.
    S3Rules,
}

fn main() -> ExitCode {
    malloc_tuning::apply();
    darkroom::backends::data_dir::restrict_new_files();
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        println!("{}", darkroom::api::openapi_json());
        return ExitCode::SUCCESS;
    }
    if let Command::Thumbnail(args) = &cli.command {
        return cli::thumbnail::run(args);
    }
    if let Command::Restore { from, data_dir } = &cli.command {
        let restored = darkroom::backup::Location::parse(from).and_then(|from| {
            tokio::runtime::Runtime::new()?
                .block_on(darkroom::backup::restore_from(&from, data_dir))
        });
        return match restored {
            Ok(manifest) => {
                println!(
                    "restored {} files into {}",
                    manifest.files.len(),
                    data_dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("darkroom: restore: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    let overrides = match &cli.command {
        Command::Serve {
            role,
            listen,
            data_dir,
        } => Overrides {
            listen: *listen,
            data_dir: data_dir.clone(),
            role: *role,
        },
        Command::Migrate { data_dir } | Command::Backup { data_dir, .. } => Overrides {
            data_dir: data_dir.clone(),
            ..Overrides::default()
        },
        Command::Openapi
        | Command::IamPolicy { .. }
        | Command::Thumbnail(_)
        | Command::Healthcheck(_)
        | Command::Lifecycle(_)
        | Command::Restore { .. } => Overrides::default(),
    };
    let config = match Config::load(cli.config.as_deref(), &overrides) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("darkroom: invalid configuration: {err}");
            // A container runtime reads a probe's 1 as unhealthy; 2 is reserved there.
            let status = if matches!(cli.command, Command::Healthcheck(_)) {
                1
            } else {
                2
            };
            return ExitCode::from(status);
        }
    };
    if let Command::Lifecycle(LifecycleCommand::S3Rules) = &cli.command {
        return match darkroom::lifecycle_rules::s3_rules(&config) {
            Ok((rules, notes)) => {
                println!("{rules:#}");
                for note in notes {
                    eprintln!("note: {note}");
                }
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("darkroom: lifecycle s3-rules: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    if let Command::Healthcheck(args) = &cli.command {
        let url = args
            .url
            .clone()
            .unwrap_or_else(|| cli::healthcheck::local_url(config.listen));
        return cli::healthcheck::run(&url, std::time::Duration::from_secs(args.timeout_secs));
    }
    if let Command::IamPolicy { role, account_id } = &cli.command {
        return match darkroom::iam_policy::document(&config, *role, account_id.clone()) {
            Ok(policy) => {
                println!("{policy:#}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("darkroom: iam-policy: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    // The exporter's thread starts before the runtime, and is flushed after it stopped: the spans of the
    // last requests and jobs are sent, not dropped with the process.
    let (traces, tracer) = match config
        .otlp_endpoint
        .as_deref()
        .filter(|e| !e.trim().is_empty())
    {
        Some(endpoint) => match darkroom::traces::exporter(endpoint, config.role) {
            Ok((traces, tracer)) => (Some(traces), Some(tracer)),
            Err(err) => {
                eprintln!("darkroom: invalid configuration: {err:#}");
                return ExitCode::from(2);
            }
        },
        None => (None, None),
    };
    darkroom::telemetry::init(&config.log_format, config.access_log, tracer);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("darkroom: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Migrate { .. } => {
                darkroom::example_secrets::refuse_example_secrets(&config)?;
                // `migrate` always migrates: `auto_migrate = false` is for `serve`, and deployments set
                // it once for every service (compose's migrate service included).
                let config = Config {
                    auto_migrate: true,
                    ..config
                };
                darkroom::backends::Backends::connect(&config)
                    .await
                    .map(|_| ())
            }
            Command::Backup { to, .. } => {
                let location = darkroom::backup::Location::parse(&to)?;
                let manifest = darkroom::backup::backup_to(&config, &location).await?;
                println!("backed up {} files into {to}", manifest.files.len());
                Ok(())
            }
            _ => Application::build(config).await?.run_until_signal().await,
        }
    });
    drop(runtime);
    if let Some(traces) = traces {
        traces.shutdown();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One clear line, never a panic: the operator reads this first.
            eprintln!("darkroom: {err:#}");
            ExitCode::FAILURE
        }
    }
}
