"""The workflow's plumbing: config validation, the plan of jobs, what every job does around
its work, code versions, runtime settings and atomic files."""
