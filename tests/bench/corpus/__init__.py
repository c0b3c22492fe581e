"""Schema-inference scoring on /work/shared/corpus and the SDV / MOSTLY AI AUTO baselines."""
