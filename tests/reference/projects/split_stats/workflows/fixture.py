from brisk.training.workflow import Workflow


class Fixture(Workflow):
    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
        self.model.fit(X_train, y_train)
        self.evaluate_model(self.model, X_test, y_test, ["MAE", "R2"], "test_scores")
