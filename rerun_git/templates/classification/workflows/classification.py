"""Fit the algorithm on the training split and evaluate it on the test split."""
from rerun_git import Workflow


class Classification(Workflow):
    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
        model = self.model.fit(X_train, y_train)
        self.evaluate_model(model, X_test, y_test, ["accuracy", "f1"], "test_metrics")
        self.save_model(model, "model")
