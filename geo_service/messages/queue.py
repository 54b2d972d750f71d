"""Messages of the shared job queue, the pre-forked server and the shared secret key."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "jobs.abandoned": (
        "这个任务运行了 {attempts} 次都没有完成：每次运行它的服务器都在完成前停止了"
        "（被终止、重启或内存不足），结果没有保存。请缩小文件或分批后重新提交；"
        "若反复出现，请管理员查看服务器日志。",
        "This job ran {attempts} times without finishing: each time the server running it "
        "stopped before the end (killed, restarted or out of memory) and nothing was saved. "
        "Submit a smaller file or split it; if it happens again, ask an administrator to read "
        "the servers' logs.",
    ),
    "config.secret_key_shared": (
        "DATABASE_URL 指向共享数据库（{url}），几台服务器共用同一个数据库时必须共用同一个"
        "会话签名密钥：请在每台服务器上设置相同的 GEO_SERVICE_SECRET_KEY（如 "
        'python -c "import secrets; print(secrets.token_urlsafe(48))" 生成的一串），'
        "或写进 instance/config.toml 的 SECRET_KEY。",
        "DATABASE_URL names a shared database ({url}): servers sharing a database must share "
        "the key that signs sessions. Set the same GEO_SERVICE_SECRET_KEY on every server (e.g. "
        'the output of python -c "import secrets; print(secrets.token_urlsafe(48))"), or '
        "SECRET_KEY in instance/config.toml.",
    ),
    "config.bad_job_setting": (
        "{name}={value} 不是 {low} 到 {high} 之间的数；请改正后重新启动。",
        "{name}={value} is not a number from {low} to {high}; correct it and start again.",
    ),
    "cli.worker_started": (
        "检查任务工作进程已启动（{workers} 个进程，数据库 {url}），按 Ctrl+C 停止。",
        "Check worker started ({workers} processes, database {url}); Ctrl+C stops it.",
    ),
    "cli.worker_stopping": (
        "正在停止：不再领取新任务，等待 {running} 个正在运行的任务完成（最多 {seconds} 秒）。",
        "Stopping: no new jobs taken, waiting for {running} running ones (at most {seconds} s).",
    ),
    "cli.serving_workers": (
        "在 {url} 提供服务：{workers} 个服务进程共用这个端口（主进程 {pid}）。",
        "Serving on {url}: {workers} server processes share this port (parent {pid}).",
    ),
    "cli.server_restarted": (
        "服务进程 {old} 已退出（{how}），已启动新的服务进程 {new}。",
        "Server process {old} exited ({how}); started server process {new}.",
    ),
    "cli.bad_workers": (
        "--workers={value} 不是 1 到 {high} 之间的整数。",
        "--workers={value} is not a whole number from 1 to {high}.",
    ),
}
