"""Prints template.yaml as AWS SAM transforms it (CloudFormation JSON).

Usage: python3 transform.py TEMPLATE [Name=Value ...]

aws-sam-translator is the library `sam deploy` and CloudFormation's
AWS::Serverless transform run; tests read the generated IAM roles, event
source mappings and routes from its output instead of from the SAM
shorthand.
"""
import json
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """Managed policies are named by ARN in the template; none is looked up."""

    def load(self):
        return {}


def main():
    import os
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(sys.argv[1]) as f:
        template = yaml_parse(f.read())
    # As `sam package` does: the code is an uploaded artifact by then.
    template.get("Globals", {}).get("Function", {})["CodeUri"] = "s3://artifacts/code.zip"
    for res in template["Resources"].values():
        if res.get("Type") == "AWS::Serverless::Function" and "CodeUri" in res.get("Properties", {}):
            res["Properties"]["CodeUri"] = "s3://artifacts/code.zip"
    # CloudFormation gives a transform every parameter's value, its default
    # when none is given, a CommaDelimitedList as a list.
    params = {}
    for name, spec in template.get("Parameters", {}).items():
        if "Default" in spec:
            params[name] = spec["Default"]
    params.update(dict(arg.split("=", 1) for arg in sys.argv[2:]))
    for name, spec in template.get("Parameters", {}).items():
        if spec.get("Type") == "CommaDelimitedList" and isinstance(params.get(name), str):
            params[name] = params[name].split(",")
    print(json.dumps(transform(template, params, NoManagedPolicies()), indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
