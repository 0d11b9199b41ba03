{{ (cookiecutter.project_name ~ ": idempotent intake, transactional outbox and saga orchestration.") | tojson }}
