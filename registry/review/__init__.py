"""Quality review: rubrics, submissions, assignments, scores and decisions."""
